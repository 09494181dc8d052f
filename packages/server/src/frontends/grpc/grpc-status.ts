/**
 * The one mapping from tensorgate error codes to gRPC status codes, and the conversion of
 * anything thrown into the status object grpc-js sends. Every gRPC handler reports failures
 * through {@link toGrpcError}, so a code means the same thing on every RPC.
 */
import { status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { InferenceError, type ErrorCode } from '../../core/errors.js';

/**
 * Maps a tensorgate error code to its gRPC status code (the same pairs Triton's gRPC frontend
 * uses; UNSUPPORTED becomes UNIMPLEMENTED).
 *
 * @example
 * ```ts
 * grpcStatusOf('INVALID_ARG') // status.INVALID_ARGUMENT
 * ```
 */
export function grpcStatusOf(code: ErrorCode): GrpcStatus {
  switch (code) {
    case 'INVALID_ARG':
      return GrpcStatus.INVALID_ARGUMENT;
    case 'NOT_FOUND':
      return GrpcStatus.NOT_FOUND;
    case 'UNAVAILABLE':
      return GrpcStatus.UNAVAILABLE;
    case 'UNSUPPORTED':
      return GrpcStatus.UNIMPLEMENTED;
    case 'INTERNAL':
      return GrpcStatus.INTERNAL;
    case 'ALREADY_EXISTS':
      return GrpcStatus.ALREADY_EXISTS;
    case 'CANCELLED':
      return GrpcStatus.CANCELLED;
    case 'DEADLINE_EXCEEDED':
      return GrpcStatus.DEADLINE_EXCEEDED;
    case 'RESOURCE_EXHAUSTED':
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case 'UNKNOWN':
      return GrpcStatus.UNKNOWN;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** What a handler passes to grpc-js to fail a call: a status code and the client-facing message. */
export type GrpcError = Pick<StatusObject, 'code' | 'details'>;

/**
 * Turns anything thrown into a gRPC error: an {@link InferenceError} keeps its message as the
 * status details, anything else becomes INTERNAL (see `InferenceError.from`).
 */
export function toGrpcError(err: unknown): GrpcError {
  const e = InferenceError.from(err);
  return { code: grpcStatusOf(e.code), details: e.message };
}
