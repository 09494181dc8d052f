/**
 * The native transport's table of methods: what it needs of one grpc-js method definition and
 * its handler, looked up by `:path` for every call.
 */
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { WireStatus } from './wire-status.js';

/** The shapes of RPC the native transport serves. */
export type NativeMethodKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/** What a unary handler answers with: grpc-js' `sendUnaryData` as our handlers call it. */
export type NativeUnaryCallback = (err: Partial<WireStatus> | Error | null, value?: unknown) => void;

/**
 * A handler as the transport calls it. The handlers are written against grpc-js' call types;
 * the native call objects provide every member those handlers use (see unary-call.ts,
 * writable-call.ts, duplex-call.ts), so {@link methodTable} casts them here, in this one place.
 */
export type NativeHandler = (call: object, callback?: NativeUnaryCallback) => void;

/** One servable method. */
export interface NativeMethod {
  /** `/package.Service/Method`, as in the `:path` header. */
  readonly path: string;
  readonly kind: NativeMethodKind;
  readonly handler: NativeHandler;
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly serialize: (value: unknown) => Buffer;
}

function unimplemented(path: string, kind: NativeMethodKind): NativeHandler {
  const error = { code: 12, details: `The server does not implement the method ${path}` };
  return kind === 'unary' || kind === 'clientStream'
    ? (_call, callback) => callback?.(error)
    : (call) => (call as { emit(event: string, err: unknown): void }).emit('error', error);
}

/**
 * Builds the method entries of one service, like grpc-js' `addService`: a method the
 * implementation lacks (by name or by its lower-camel `originalName`) answers UNIMPLEMENTED.
 *
 * @example
 * ```ts
 * for (const m of methodTable(serviceDefinitionOf(HEALTH_SERVICE_NAME), health)) methods.set(m.path, m);
 * ```
 */
export function methodTable(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
): NativeMethod[] {
  const methods: NativeMethod[] = [];
  for (const [name, def] of Object.entries(definition)) {
    const kind: NativeMethodKind = def.requestStream
      ? def.responseStream
        ? 'bidi'
        : 'clientStream'
      : def.responseStream
        ? 'serverStream'
        : 'unary';
    const impl =
      implementation[name] ?? (def.originalName !== undefined ? implementation[def.originalName] : undefined);
    methods.push({
      path: def.path,
      kind,
      // The one documented cast: grpc-js handler types → the native call objects (see NativeHandler).
      handler: impl !== undefined ? (impl as unknown as NativeHandler) : unimplemented(def.path, kind),
      deserialize: def.requestDeserialize as (bytes: Buffer) => unknown,
      serialize: def.responseSerialize as (value: unknown) => Buffer,
    });
  }
  return methods;
}
