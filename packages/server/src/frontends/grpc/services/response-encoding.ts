/**
 * A custom service handler's response, checked and encoded in the service worker: typed arrays
 * are accepted for repeated numeric fields, `verify` runs before `fromObject` (which would
 * coerce `'abc'` to 0 instead of refusing it), and an invalid response fails its call with
 * INTERNAL naming the field rather than reaching a client as garbage.
 */
import type protobuf from 'protobufjs';
import { INTERNAL, type HandlerStatus } from './handler-status.js';

/** Typed arrays (but bytes) become arrays, so protobufjs' fromObject takes them for repeated fields. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value))
    return value instanceof Uint8Array ? value : Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.some((v) => typeof v === 'object' && v !== null) ? value.map(plain) : value;
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

/** A failure with the status it ends its call with (never UNKNOWN's stack logging). */
export class HandlerFailure extends Error {
  constructor(readonly status: HandlerStatus) {
    super(status.details);
  }
}

/**
 * Encodes a handler's response as `type`; an invalid one throws a {@link HandlerFailure} with
 * INTERNAL naming the field.
 *
 * @example
 * ```ts
 * const bytes = encodeResponse(root.lookupType('demo.AddReply'), 'Add', { sum: new Int32Array([3]) });
 * ```
 */
export function encodeResponse(type: protobuf.Type, method: string, value: unknown): Uint8Array {
  if (typeof value !== 'object' || value === null) {
    throw new HandlerFailure({
      code: INTERNAL,
      serverCode: '',
      details: `handler ${method} returned ${value === null ? 'null' : typeof value}, not a ${type.fullName.slice(1)} object`,
    });
  }
  // Checked before fromObject, which would coerce ('abc' | 0 is 0) instead of refusing.
  const object = plain(value) as Record<string, unknown>;
  let problem = type.verify(object);
  let message = undefined as unknown as protobuf.Message;
  if (problem === null) {
    try {
      message = type.fromObject(object);
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
  }
  if (problem !== null) {
    throw new HandlerFailure({
      code: INTERNAL,
      serverCode: '',
      details: `handler ${method} returned an invalid ${type.fullName.slice(1)}: ${problem}`,
    });
  }
  return type.encode(message).finish();
}
