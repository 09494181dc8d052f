/**
 * The checks and encoding of what a JS model passes to `models.infer` / `models.stream` (see
 * worker-calls.ts): its inputs become wire tensors (raw little-endian bytes), its version and
 * timeout are checked. A model's mistake is a TypeError naming the option.
 */
import { DATATYPES, encodeElements, isDataType, type DataType } from '@tensorgate/protocol';
import type { JsInferInput } from './model-api.js';
import { encodeBytesStrict } from './tensor-views.js';
import { PACK_THRESHOLD_BYTES } from './wire-packet.js';
import type { WireTensor } from './worker-messages.js';

/** Checks a whole number option; TypeError naming it otherwise. */
export function wholeNumber(value: unknown, what: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new TypeError(`${what} must be a whole number from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The version option as the core takes it: '' for the version policy's choice. */
export function versionOf(v: unknown): string {
  if (v === undefined || v === '' || v === -1 || v === '-1') return '';
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === 'string' && /^[1-9][0-9]*$/.test(v)) return v;
  throw new TypeError(`version must be a positive whole number (or -1 / '' for the latest), got ${String(v)}`);
}

function isTypedArray(v: unknown): v is ArrayBufferView & ArrayLike<number | bigint> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/**
 * Raw bytes of one input of a call, and the buffer to move when they are a large array converted
 * just now (the model's own arrays are copied into the packet later, so they stay usable).
 * Throws a TypeError naming the input when it cannot be encoded.
 */
export function encodeCallInput(input: JsInferInput, index: number): { tensor: WireTensor; transfer?: ArrayBuffer } {
  if (input === null || typeof input !== 'object' || typeof input.name !== 'string') {
    throw new TypeError(`inputs[${index}] must be an object with a string name`);
  }
  const { name, datatype } = input;
  if (typeof datatype !== 'string' || !isDataType(datatype)) {
    throw new TypeError(
      `input '${name}': datatype must be a datatype such as 'INT32' or 'BYTES', got ${String(datatype)}`,
    );
  }
  let data: Uint8Array;
  let fresh = false;
  let count: number | undefined;
  try {
    if (input.raw !== undefined) {
      if (!(input.raw instanceof Uint8Array)) throw new TypeError('raw must be a Uint8Array');
      data = input.raw;
    } else if (isTypedArray(input.data) && input.data instanceof (DATATYPES[datatype].arrayType ?? Uint8Array)) {
      // The datatype's own array class: its bytes as they are (copied into the message later).
      const arr = input.data;
      data = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
      if (datatype === 'BOOL' && data.some((b) => b > 1)) throw new TypeError('BOOL elements must be 0 or 1');
      if (datatype === 'BYTES') throw new TypeError('BYTES data must be an array of strings or Uint8Arrays');
    } else if (isTypedArray(input.data) || Array.isArray(input.data)) {
      const values = isTypedArray(input.data) ? Array.from(input.data as ArrayLike<unknown>) : input.data;
      data = datatype === 'BYTES' ? encodeBytesStrict(values) : encodeElements(datatype, values);
      if (datatype === 'BYTES') count = values.length;
      fresh = true;
    } else {
      throw new TypeError('give data (a typed array or an array) or raw bytes');
    }
  } catch (err) {
    throw new TypeError(`input '${name}': ${err instanceof Error ? err.message : String(err)}`);
  }
  const shape = input.shape === undefined ? [count ?? elementsIn(datatype, data)] : shapeOf(input.shape, name);
  const tensor: WireTensor = { name, datatype, shape, data };
  // A large array converted just now is ours alone: it moves instead of being copied again.
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  if (fresh && whole && data.byteLength >= PACK_THRESHOLD_BYTES && data.buffer instanceof ArrayBuffer) {
    return { tensor, transfer: data.buffer };
  }
  return { tensor };
}

/** Elements in raw bytes (BYTES: counted from the length prefixes). */
function elementsIn(datatype: DataType, data: Uint8Array): number {
  if (datatype !== 'BYTES') return data.byteLength / DATATYPES[datatype].byteSize;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let n = 0;
  for (let at = 0; at + 4 <= data.byteLength; n++) at += 4 + view.getUint32(at, true);
  return n;
}

function shapeOf(shape: unknown, name: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new TypeError(`input '${name}': shape must be an array of whole numbers, got ${String(shape)}`);
  }
  return [...(shape as number[])];
}
