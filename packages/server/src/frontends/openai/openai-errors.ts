/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the HTTP status
 * the OpenAI SDKs turn into their error classes (400 BadRequestError, 401 AuthenticationError,
 * 404 NotFoundError, 429 RateLimitError, 5xx InternalServerError). tensorgate's error codes map to
 * a status in one exhaustive switch, as on the other frontends.
 */
import { InferenceError, type ErrorCode } from '../../core/errors.js';

/** The body of an OpenAI error response. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A failure ready to be written. */
export interface OpenAiFailure {
  readonly status: number;
  readonly body: OpenAiErrorBody;
}

/**
 * An error raised by the OpenAI frontend itself (bad field, missing API key), carrying the
 * OpenAI `type`, `param` and `code` the client sees.
 *
 * @example
 * ```ts
 * throw new OpenAiError(400, 'n must be 1', { param: 'n' });
 * ```
 */
export class OpenAiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, options: { type?: string; param?: string; code?: string } = {}) {
    super(message);
    this.name = 'OpenAiError';
    this.status = status;
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }
}

/** Shorthand for a 400 about one request field. */
export const invalidParam = (param: string, message: string): OpenAiError =>
  new OpenAiError(400, message, { param, code: 'invalid_value' });

/**
 * Status, OpenAI `type` and `code` for a tensorgate {@link ErrorCode}. RESOURCE_EXHAUSTED (a full
 * model queue) is 429 so the OpenAI SDKs' retry with back-off applies; UNSUPPORTED is a 400 here,
 * because on this API it means "this request asks for something the model cannot do".
 */
export function openAiStatusFor(code: ErrorCode): { status: number; type: string; code: string | null } {
  switch (code) {
    case 'INVALID_ARG':
    case 'UNSUPPORTED':
    case 'ALREADY_EXISTS':
      return { status: 400, type: 'invalid_request_error', code: null };
    case 'NOT_FOUND':
      return { status: 404, type: 'invalid_request_error', code: 'model_not_found' };
    case 'RESOURCE_EXHAUSTED':
      return { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' };
    case 'UNAVAILABLE':
      return { status: 503, type: 'server_error', code: 'service_unavailable' };
    case 'CANCELLED':
      return { status: 499, type: 'invalid_request_error', code: 'cancelled' };
    case 'DEADLINE_EXCEEDED':
      return { status: 504, type: 'server_error', code: 'timeout' };
    case 'INTERNAL':
    case 'UNKNOWN':
      return { status: 500, type: 'server_error', code: null };
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

function isHttpClientError(err: unknown): err is Error & { statusCode: number; code?: unknown } {
  return err instanceof Error && typeof (err as { statusCode?: unknown }).statusCode === 'number';
}

/**
 * Maps anything thrown on the OpenAI routes (or by fastify before them) to a failure.
 *
 * @example
 * ```ts
 * toOpenAiFailure(new InferenceError('RESOURCE_EXHAUSTED', 'queue full')).status // 429
 * ```
 */
export function toOpenAiFailure(err: unknown): OpenAiFailure {
  if (err instanceof OpenAiError) {
    return {
      status: err.status,
      body: { error: { message: err.message, type: err.type, param: err.param, code: err.code } },
    };
  }
  if (err instanceof InferenceError) {
    const mapped = openAiStatusFor(err.code);
    return {
      status: mapped.status,
      body: { error: { message: err.message, type: mapped.type, param: null, code: mapped.code } },
    };
  }
  if (isHttpClientError(err) && err.statusCode >= 400 && err.statusCode < 600) {
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'request body is too large' : err.message;
    const type = err.statusCode >= 500 ? 'server_error' : 'invalid_request_error';
    return { status: err.statusCode, body: { error: { message, type, param: null, code: null } } };
  }
  return toOpenAiFailure(InferenceError.from(err));
}
