/**
 * Turns every failure on the HTTP frontend into a status code and a `{"error": "..."}` body:
 * InferenceErrors through the one status switch, HTTP-level errors with their own status, and
 * fastify's own errors (body too large, bad Content-Length, unknown route) reshaped the same way.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { InferenceError } from '../../core/errors.js';
import { httpStatusFor, HttpStatusError } from './http-status.js';

/** A failure ready to be written. */
export interface HttpFailure {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

function isFastifyClientError(err: unknown): err is Error & { statusCode: number; code: string } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { statusCode?: unknown; code?: unknown };
  return typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500;
}

/**
 * Maps anything thrown by a handler (or by fastify) to an HTTP failure.
 *
 * @param bodyLimitBytes named in the 413 message so the client knows the limit.
 * @example
 * ```ts
 * toHttpFailure(new InferenceError('NOT_FOUND', 'no model'), 1024).status // 404
 * ```
 */
export function toHttpFailure(err: unknown, bodyLimitBytes: number): HttpFailure {
  if (err instanceof InferenceError) return { status: httpStatusFor(err.code), message: err.message, headers: {} };
  if (err instanceof HttpStatusError) return { status: err.statusCode, message: err.message, headers: err.headers };
  if (isFastifyClientError(err)) {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return { status: 413, message: `request body is larger than the limit of ${bodyLimitBytes} bytes`, headers: {} };
    }
    return { status: err.statusCode, message: err.message, headers: {} };
  }
  const converted = InferenceError.from(err);
  return { status: httpStatusFor(converted.code), message: converted.message, headers: {} };
}

/**
 * Installs the error and not-found handlers on a fastify instance.
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger, bodyLimitBytes: number): void {
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    await reply
      .code(404)
      .type('application/json')
      .send(JSON.stringify({ error: `Not Found: no route for ${request.method} ${path}` }));
  });
  app.setErrorHandler(async (err, request, reply) => {
    const failure = toHttpFailure(err, bodyLimitBytes);
    if (failure.status >= 500 && failure.status !== 501 && failure.status !== 503) {
      logger.error({ err, method: request.method, url: request.url }, 'HTTP request failed');
    } else {
      logger.debug({ status: failure.status, reason: failure.message, url: request.url }, 'HTTP request rejected');
    }
    for (const [k, v] of Object.entries(failure.headers)) reply.header(k, v);
    // An error after the infer handler set binary headers must not keep them.
    reply.removeHeader('inference-header-content-length');
    reply.removeHeader('content-encoding');
    await reply
      .code(failure.status)
      .type('application/json')
      .send(JSON.stringify({ error: failure.message }));
  });
}
