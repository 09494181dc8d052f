/**
 * The one mapping from tensorgate error codes to gRPC status codes, and the conversion of
 * anything thrown into the status object grpc-js sends. Every gRPC handler reports failures
 * through {@link toGrpcError}, so a code means the same thing on every RPC.
 */
import { status as GrpcStatus, type StatusObject } from '@grpc/grpc-js';
import { elideMiddle } from '../../core/bounded-text.js';
import { InferenceError, type ErrorCode } from '../../core/errors.js';

/**
 * Most bytes a status message takes in the `grpc-message` trailer once percent-encoded. Clients
 * cap the metadata they accept (grpcio: 8 KiB, and a bigger trailer answers RESOURCE_EXHAUSTED
 * "received initial metadata size exceeds limit" instead of the real error; node http2 clients
 * stalled until their deadline), so a message is cut well below that.
 */
export const MAX_GRPC_MESSAGE_BYTES = 4096;

/**
 * Bytes a code point takes in `grpc-message`: its UTF-8 bytes, each printable ASCII byte but `%`
 * as itself and every other byte as `%XX` (gRPC's PROTOCOL-HTTP2 percent-encoding).
 */
function encodedBytes(cp: number): number {
  if (cp >= 0x20 && cp <= 0x7e && cp !== 0x25) return 1;
  if (cp < 0x80) return 3;
  if (cp < 0x800) return 6;
  if (cp < 0x10000) return 9;
  return 12;
}

/**
 * A status message bounded to {@link MAX_GRPC_MESSAGE_BYTES} percent-encoded bytes (its middle
 * elided); unchanged when it fits, as every message of normal-length names does.
 *
 * @example
 * ```ts
 * boundGrpcDetails(`unknown service '${'s'.repeat(100_000)}'`).length; // <= 4096
 * ```
 */
export function boundGrpcDetails(details: string): string {
  return elideMiddle(details, MAX_GRPC_MESSAGE_BYTES, encodedBytes);
}

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
 * status details (bounded by {@link boundGrpcDetails}), anything else becomes INTERNAL (see
 * `InferenceError.from`).
 */
export function toGrpcError(err: unknown): GrpcError {
  const e = InferenceError.from(err);
  return { code: grpcStatusOf(e.code), details: boundGrpcDetails(e.message) };
}
