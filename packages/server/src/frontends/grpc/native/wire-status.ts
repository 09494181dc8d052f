/**
 * A gRPC status as the native transport sends it (`grpc-status` + `grpc-message` trailers), and
 * the conversion of what handlers hand the transport (grpc-js' `callback(err)` and
 * `call.emit('error', err)` values) into one.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

/** A status code and its client-facing message. */
export interface WireStatus {
  readonly code: GrpcStatus;
  readonly details: string;
}

/**
 * Thrown by the wire codecs (framing, decompression, headers) when a request breaks the
 * protocol; the transport answers the call with its status.
 *
 * @example
 * ```ts
 * throw new WireStatusError(status.RESOURCE_EXHAUSTED, 'Received message larger than max (9 vs. 8)');
 * ```
 */
export class WireStatusError extends Error implements WireStatus {
  constructor(
    readonly code: GrpcStatus,
    readonly details: string,
  ) {
    super(details);
    this.name = 'WireStatusError';
  }
}

/** The OK status every successful call ends with (grpc-js sends the same details). */
export const OK_STATUS: WireStatus = { code: GrpcStatus.OK, details: 'OK' };

/**
 * Reads a handler's error the way grpc-js does (`serverErrorToStatus`): an integer `code` with
 * optional string `details`, else UNKNOWN with the error's `message`.
 */
export function statusOfHandlerError(err: unknown): WireStatus {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    details?: unknown;
    message?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : 'Unknown Error';
  if (typeof e.code === 'number' && Number.isInteger(e.code)) {
    return { code: e.code as GrpcStatus, details: typeof e.details === 'string' ? e.details : message };
  }
  return { code: GrpcStatus.UNKNOWN, details: message };
}
