/**
 * The one mapping from tensorgate's error codes to HTTP status codes, plus the small error type the
 * HTTP frontend uses for failures that are about HTTP itself (content encoding, body size) rather
 * than about inference.
 */
import type { ErrorCode } from '../../core/errors.js';

/**
 * HTTP status for an {@link ErrorCode}. The switch is exhaustive: adding a code to `ErrorCode`
 * without a row here is a compile error.
 *
 * Rows follow Triton's `HttpCodeFromError` (INTERNAL 500, NOT_FOUND 404, UNAVAILABLE 503,
 * UNSUPPORTED 501, everything without a direct match 400), with three codes Triton's HTTP
 * frontend does not have or does not distinguish:
 * - RESOURCE_EXHAUSTED → 429 Too Many Requests: a full queue is load shedding, and 429 is the status
 *   load balancers and retry middleware already understand as "back off and retry".
 * - CANCELLED → 499 (the de facto "client closed request" status from nginx). Triton answers 400,
 *   but that says "your request was malformed", which a cancelled request was not; 499 keeps
 *   cancellations apart from bad requests in access logs and metrics. Clients treat every non-200
 *   as an error, so nothing depends on the exact value; usually nobody is left to read it anyway.
 * - DEADLINE_EXCEEDED → 504 Gateway Timeout: the request was valid but the server could not
 *   answer within the request's time limit. 408 would wrongly blame the client for sending slowly.
 *
 * @example
 * ```ts
 * httpStatusFor('NOT_FOUND') // 404
 * ```
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INTERNAL':
      return 500;
    case 'NOT_FOUND':
      return 404;
    case 'UNAVAILABLE':
      return 503;
    case 'UNSUPPORTED':
      return 501;
    case 'RESOURCE_EXHAUSTED':
      return 429;
    case 'CANCELLED':
      return 499;
    case 'DEADLINE_EXCEEDED':
      return 504;
    case 'UNKNOWN':
    case 'INVALID_ARG':
    case 'ALREADY_EXISTS':
      return 400;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/**
 * An HTTP-level failure with an explicit status (e.g. 413 for an oversized decompressed body, 415
 * for an unknown Content-Encoding). Inference failures use `InferenceError` instead, so that their
 * status comes from {@link httpStatusFor}.
 */
export class HttpStatusError extends Error {
  /** The HTTP status to answer with. */
  readonly statusCode: number;
  /** Extra response headers (e.g. `Accept-Encoding` on a 415). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(statusCode: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpStatusError';
    this.statusCode = statusCode;
    this.headers = headers;
  }
}
