/**
 * `--grpc-restricted-protocol` at the handler layer, so both transports (native and grpc-js)
 * enforce it the same way: each method's handler is wrapped, when its API group
 * (`api-groups.ts`) is restricted, in a check of the call's metadata key
 * `triton-grpc-protocol-<header>`. A call without it, with another value, or with the key sent
 * twice ends with Triton's UNAVAILABLE "This protocol is restricted, expecting header
 * 'triton-grpc-protocol-<header>'" before the handler runs: unary calls through their callback,
 * streaming ones (ModelStreamInfer, StreamGenerate, health Watch) by an `'error'` on the call,
 * which both transports turn into the status. Methods of open groups keep their handler as is.
 */
import { status as GrpcStatus, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { grpcMethodGroup } from '../api-groups.js';
import type { ApiGroup, ApiRestrictions, Restriction } from '../restricted-apis.js';

/** What the check reads of a call: grpc-js' `metadata`, or the native transport's view of it. */
interface CallWithMetadata {
  readonly metadata: { get(key: string): unknown[] };
}

type UnaryHandler = (call: CallWithMetadata, callback: (err: { code: number; details: string }) => void) => void;
type StreamHandler = (call: CallWithMetadata & { emit(event: 'error', err: unknown): boolean }) => void;

function allowed(restriction: Restriction, call: CallWithMetadata): boolean {
  const values = call.metadata.get(restriction.key);
  return values.length === 1 && restriction.allows(values[0]);
}

function guardUnary(handler: UnaryHandler, restriction: Restriction): UnaryHandler {
  const refusal = { code: GrpcStatus.UNAVAILABLE, details: restriction.message };
  return (call, callback) => {
    if (allowed(restriction, call)) handler(call, callback);
    else callback({ ...refusal });
  };
}

function guardStream(handler: StreamHandler, restriction: Restriction): StreamHandler {
  const refusal = { code: GrpcStatus.UNAVAILABLE, details: restriction.message };
  return (call) => {
    if (allowed(restriction, call)) handler(call);
    else call.emit('error', { ...refusal });
  };
}

/**
 * Returns `implementation` with the handlers of restricted methods wrapped. Throws when a method
 * of `definition` has no API group, so an unassigned RPC cannot be served. `groupOf` gives a
 * method's group: by default the table of `api-groups.ts`; custom services and reflection pass
 * their fixed group (`CUSTOM_SERVICE_GROUP`, `REFLECTION_GROUP`).
 *
 * @example
 * ```ts
 * server.addService(definition, guardService(definition, handlers, parseRestrictions('grpc', specs)));
 * ```
 */
export function guardService(
  definition: ServiceDefinition,
  implementation: UntypedServiceImplementation,
  restrictions: ApiRestrictions,
  groupOf: (path: string) => ApiGroup = grpcMethodGroup,
): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = { ...implementation };
  for (const [name, method] of Object.entries(definition)) {
    const restriction = restrictions.get(groupOf(method.path));
    if (restriction === undefined) continue;
    // Both transports look a handler up by name, then by its lower-camel originalName.
    const key = implementation[name] !== undefined ? name : method.originalName;
    const handler = key !== undefined ? implementation[key] : undefined;
    // A method without a handler answers UNIMPLEMENTED whoever asks.
    if (key === undefined || handler === undefined) continue;
    guarded[key] =
      method.requestStream || method.responseStream
        ? guardStream(handler as unknown as StreamHandler, restriction)
        : guardUnary(handler as unknown as UnaryHandler, restriction);
  }
  return guarded;
}
