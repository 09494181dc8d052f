/**
 * grpc-js errors as {@link InferenceServerError}s.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { codeFromGrpcStatus, InferenceServerError } from '../errors.js';

function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number';
}

/** gRPC status UNAVAILABLE. */
const UNAVAILABLE = 14;

/**
 * grpc-js' details of UNAVAILABLE failures where the request never reached the server's
 * application: a pick that found no ready connection (`No connection established`, from its
 * load-balancing policies), and a stream the server refused (`REFUSED_STREAM`, after grpc-js'
 * own single transparent retry). grpc-js reports no structured "not sent" flag, so its messages
 * (stable since 1.x) are matched.
 */
const NOT_DELIVERED = /No connection established|Stream refused by server/;

/** gRPC status INTERNAL. */
const INTERNAL = 13;

/**
 * grpc-js' details of an INTERNAL status that is really a lost connection: it maps a socket
 * error while a stream is open to INTERNAL ("Received RST_STREAM with code 2 triggered by
 * internal client error: write EPIPE") except ECONNRESET and ETIMEDOUT, which it maps to
 * UNAVAILABLE. A replica killed while a request is being written gives EPIPE. And a connection
 * that simply ends (the peer's socket closed with a FIN, as the kernel closes a killed process'
 * sockets when nothing is left unread) closes its open streams with code 0 and no status, which
 * grpc-js reports as "Received RST_STREAM with code 0 (Call ended without gRPC status)": the
 * server never answered, so the outcome is unknown, as for any lost connection (seen in the
 * three-replica test: a replica SIGKILLed with calls in flight).
 */
const CONNECTION_LOST =
  /internal client error: .*\b(EPIPE|ECONNRESET|ECONNABORTED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b|Call ended without gRPC status/;

/**
 * Converts a failed call's error: the gRPC status becomes `status` and `code`, the status details
 * (the server's own message) become `message`; `notDelivered` is set for failures grpc-js reports
 * before the request reached a server ({@link NOT_DELIVERED}), and a lost connection that
 * grpc-js reports as INTERNAL ({@link CONNECTION_LOST}) has code UNAVAILABLE (`status` stays 13).
 *
 * @example
 * ```ts
 * fromGrpcError(err, 'req-1').code // e.g. 'NOT_FOUND'
 * ```
 */
export function fromGrpcError(e: unknown, requestId: string): InferenceServerError {
  if (e instanceof InferenceServerError) return e;
  if (!isServiceError(e)) return InferenceServerError.from(e, { transport: 'grpc', requestId });
  const details = e.details ?? '';
  const lost = e.code === INTERNAL && CONNECTION_LOST.test(details);
  return new InferenceServerError(e.details || e.message, {
    code: lost ? 'UNAVAILABLE' : codeFromGrpcStatus(e.code),
    status: e.code,
    transport: 'grpc',
    requestId,
    cause: e,
    notDelivered: e.code === UNAVAILABLE && NOT_DELIVERED.test(details),
  });
}
