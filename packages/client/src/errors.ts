/**
 * The one error class of @tensorgate/client. Every failure a client method reports, whether the
 * server answered with an error, the call timed out or was aborted, the connection was lost, or
 * the arguments were wrong, is an {@link InferenceServerError}, so callers need a single `catch`
 * branch and can switch on a transport-independent {@link ErrorCode}.
 */

/**
 * Transport-independent error codes, named after Triton's error codes (`INVALID_ARG`,
 * `NOT_FOUND`, ...) plus the gRPC status names Triton's codes do not cover.
 */
export type ErrorCode =
  | 'INVALID_ARG'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'INTERNAL'
  | 'UNKNOWN'
  | 'CANCELLED'
  | 'DEADLINE_EXCEEDED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED';

/** Which protocol a {@link InferenceServerError} came from. */
export type Transport = 'grpc' | 'http';

/** Fields of an {@link InferenceServerError} besides its message. */
export interface InferenceServerErrorInit {
  /** The transport-independent code. */
  readonly code: ErrorCode;
  /** HTTP status or gRPC status code; undefined when no response came back (HTTP). */
  readonly status?: number | undefined;
  /** The transport of the call, when there was one. */
  readonly transport?: Transport | undefined;
  /** The request id the call was sent with ('' when none). */
  readonly requestId?: string | undefined;
  /** A server hint (HTTP `Retry-After`) of how long to wait before retrying, in milliseconds. */
  readonly retryAfterMs?: number | undefined;
  /** The underlying error (fetch TypeError, grpc-js ServiceError, ...). */
  readonly cause?: unknown;
  /**
   * True when the client knows the request never reached a server's application: no connection
   * could be made (refused, unreachable, name not found), or the server refused the HTTP/2 stream
   * (`REFUSED_STREAM`). Default false (unknown or delivered).
   */
  readonly notDelivered?: boolean | undefined;
}

/**
 * A failed client call.
 *
 * `message` is the server's own message when the server answered (the body's `error` for HTTP,
 * the status details for gRPC), so it can be shown to users as it is.
 *
 * @example
 * ```ts
 * try {
 *   await client.infer('nope', inputs);
 * } catch (e) {
 *   if (e instanceof InferenceServerError && e.code === 'NOT_FOUND') console.error(e.message, e.status);
 * }
 * ```
 */
export class InferenceServerError extends Error {
  /** The transport-independent code. */
  readonly code: ErrorCode;
  /** HTTP status (e.g. 404) or gRPC status code (e.g. 5); undefined when no response came back. */
  readonly status: number | undefined;
  /** The transport of the failed call; undefined for client-side argument errors. */
  readonly transport: Transport | undefined;
  /** The request id the call was sent with ('' when the call had none). */
  readonly requestId: string;
  /** The server's `Retry-After` hint in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /**
   * True when the request certainly never reached the server's application (connection refused or
   * unreachable, HTTP/2 stream refused), so repeating it cannot run it twice. False when it may
   * have: the connection was lost after the request went out, or the server answered.
   */
  readonly notDelivered: boolean;

  constructor(message: string, init: InferenceServerErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'InferenceServerError';
    this.code = init.code;
    this.status = init.status;
    this.transport = init.transport;
    this.requestId = init.requestId ?? '';
    this.retryAfterMs = init.retryAfterMs;
    this.notDelivered = init.notDelivered === true;
  }

  /**
   * Wraps anything thrown into an InferenceServerError (returned as is when it already is one),
   * so code that mixes client calls with other awaits can normalise its errors.
   *
   * @example
   * ```ts
   * const err = InferenceServerError.from(e); // e.g. a TypeError becomes code UNKNOWN
   * ```
   */
  static from(e: unknown, fallback: Partial<InferenceServerErrorInit> = {}): InferenceServerError {
    if (e instanceof InferenceServerError) return e;
    const message = e instanceof Error ? e.message : String(e);
    return new InferenceServerError(message, { code: 'UNKNOWN', ...fallback, cause: e });
  }
}

/** A client-side argument error (nothing was sent). */
export function invalidArgument(message: string): InferenceServerError {
  return new InferenceServerError(message, { code: 'INVALID_ARG' });
}

/**
 * The code of an HTTP error status, following tensorgate's and Triton's mapping (400 INVALID_ARG,
 * 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 499 CANCELLED, 500 INTERNAL, 501 UNSUPPORTED,
 * 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED), with the usual meanings for the rest.
 *
 * @example
 * ```ts
 * codeFromHttpStatus(404) // 'NOT_FOUND'
 * ```
 */
export function codeFromHttpStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return 'INVALID_ARG';
    case 409:
      return 'ALREADY_EXISTS';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 408:
    case 504:
      return 'DEADLINE_EXCEEDED';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 500:
      return 'INTERNAL';
    case 501:
      return 'UNSUPPORTED';
    case 502:
    case 503:
      return 'UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL' : 'UNKNOWN';
  }
}

/**
 * The code of a gRPC status code (numbers from the gRPC spec, so this module needs no grpc-js
 * import). Statuses without a Triton counterpart map to the nearest code: FAILED_PRECONDITION and
 * OUT_OF_RANGE to INVALID_ARG, ABORTED to UNAVAILABLE, DATA_LOSS to INTERNAL.
 *
 * @example
 * ```ts
 * codeFromGrpcStatus(14) // 'UNAVAILABLE'
 * ```
 */
export function codeFromGrpcStatus(status: number): ErrorCode {
  switch (status) {
    case 1:
      return 'CANCELLED';
    case 3:
    case 9:
    case 11:
      return 'INVALID_ARG';
    case 4:
      return 'DEADLINE_EXCEEDED';
    case 5:
      return 'NOT_FOUND';
    case 6:
      return 'ALREADY_EXISTS';
    case 7:
      return 'PERMISSION_DENIED';
    case 8:
      return 'RESOURCE_EXHAUSTED';
    case 10:
    case 14:
      return 'UNAVAILABLE';
    case 12:
      return 'UNSUPPORTED';
    case 13:
    case 15:
      return 'INTERNAL';
    case 16:
      return 'UNAUTHENTICATED';
    default:
      return 'UNKNOWN';
  }
}
