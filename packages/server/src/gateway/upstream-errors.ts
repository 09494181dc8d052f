/**
 * What the gateway answers when something fails: one exhaustive mapping from gateway errors and
 * upstream error codes (the client SDK's `InferenceServerError.code`, read by duck typing so the
 * pool can be tested without the SDK) to an HTTP status and `{"error": "..."}` body, and the rule
 * for which failures are worth retrying on another upstream.
 */
import { UpstreamShapeError } from './response-shaping.js';
import { GatewayRequestError } from './tensor-mapping.js';

/** No upstream is ready (HTTP 503). */
export class NoUpstreamError extends Error {
  override readonly name = 'NoUpstreamError';
  constructor() {
    super('no healthy upstream server');
  }
}

/** An HTTP status plus the message of its `{"error": ...}` body. */
export interface HttpFailure {
  readonly status: number;
  readonly error: string;
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Node socket errors that mean the upstream connection broke (when a transport lets one through). */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether another upstream may succeed where this one failed: the upstream was unavailable or the
 * connection was lost. Never for errors that are the request's fault (bad input, unknown model,
 * full queue) or a deadline (the time is spent already).
 *
 * @example
 * ```ts
 * isRetryable({ code: 'UNAVAILABLE' }) // true
 * isRetryable({ code: 'INVALID_ARG' }) // false
 * ```
 */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'UNAVAILABLE' || (code !== undefined && CONNECTION_ERRORS.has(code));
}

/**
 * Maps any failure of a gateway request to its HTTP answer.
 *
 * | failure | status |
 * |---|---|
 * | bad request body / missing field / wrong type (gateway) | 400 |
 * | upstream `INVALID_ARG` | 400, the upstream message |
 * | upstream `RESOURCE_EXHAUSTED` (queue full, message too big) | 429 |
 * | no ready upstream; upstream `UNAVAILABLE` / connection lost | 503 |
 * | upstream `DEADLINE_EXCEEDED` (the route's `timeoutMs`) | 504 |
 * | anything else from upstream (`INTERNAL`, `NOT_FOUND`, `UNSUPPORTED`, ...) or a reply without the mapped outputs | 502 |
 *
 * @example
 * ```ts
 * toHttpFailure(new NoUpstreamError()) // { status: 503, error: 'no healthy upstream server' }
 * ```
 */
export function toHttpFailure(err: unknown): HttpFailure {
  if (err instanceof GatewayRequestError) return { status: 400, error: err.message };
  if (err instanceof NoUpstreamError) return { status: 503, error: err.message };
  if (err instanceof UpstreamShapeError) return { status: 502, error: `bad upstream reply: ${err.message}` };
  const code = codeOf(err);
  const message = messageOf(err);
  switch (code) {
    case 'INVALID_ARG':
      return { status: 400, error: message };
    case 'RESOURCE_EXHAUSTED':
      return { status: 429, error: message };
    case 'UNAVAILABLE':
      return { status: 503, error: `upstream unavailable: ${message}` };
    case 'DEADLINE_EXCEEDED':
      return { status: 504, error: `upstream deadline exceeded: ${message}` };
    default:
      if (code !== undefined && CONNECTION_ERRORS.has(code))
        return { status: 503, error: `upstream unavailable: ${message}` };
      // NOT_FOUND, UNSUPPORTED, INTERNAL, CANCELLED, UNKNOWN, ...: the gateway's or the model's
      // problem, not the caller's, so a bad gateway.
      return { status: 502, error: `upstream error${code ? ` (${code})` : ''}: ${message}` };
  }
}
