/**
 * The gateway's HTTP side (fastify): one POST route per routes-file entry, `/health` (upstream
 * readiness), `/openapi.json`, `/docs`, CORS, and `{"error": "..."}` for every failure, including
 * fastify's own (bad JSON, body too large, unknown path).
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  DEFAULT_HTTP_TIMEOUTS,
  fastifyTimeoutOptions,
  watchBodyIdle,
  type HttpTimeouts,
} from '../frontends/http-timeouts.js';
import { watchHttpTransfers } from '../frontends/http-transfers.js';
import { DEFAULT_TRANSFER_LIMITS, type TransferLimits } from '../frontends/transfer-limits.js';
import { jsonLimitProblem } from '../core/json-limits.js';
import { registerGatewayCors } from './cors.js';
import { renderDocsPage } from './docs-page.js';
import type { GatewayTransport } from './gateway-transport.js';
import { buildOpenApi } from './openapi.js';
import { routeHandler } from './route-handler.js';
import { registerJobRoutes } from './job-routes.js';
import type { RoutesFile } from './route-types.js';
import type { UpstreamPool } from './upstream-pool.js';

/** Default largest request body: 16 MiB (a 224x224 RGB image as a JSON list is about 1.5 MB). */
export const DEFAULT_GATEWAY_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** Options of {@link buildGatewayApp}. */
export interface GatewayAppOptions {
  readonly routes: Pick<RoutesFile, 'routes' | 'title'> & Partial<Pick<RoutesFile, 'jobs'>>;
  readonly pool: UpstreamPool<GatewayTransport>;
  readonly logger: Logger;
  /** Allowed CORS origins (`*` for any); empty: no CORS headers. */
  readonly corsOrigins?: readonly string[];
  readonly bodyLimitBytes?: number;
  /** Version shown in the OpenAPI document. */
  readonly version?: string;
  /** Header, body-idle and keep-alive timeouts of every connection (default 30 s each), as the server's HTTP port. */
  readonly timeouts?: HttpTimeouts;
  /** Send-stall timeout and minimum body rate (default: `DEFAULT_TRANSFER_LIMITS`), as the server's HTTP port. */
  readonly transferLimits?: TransferLimits;
}

function statusOf(err: unknown): number {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' && s >= 400 && s < 600 ? s : 500;
}

/**
 * Builds the fastify instance (not listening yet; `inject()` works on it).
 *
 * @example
 * ```ts
 * const app = buildGatewayApp({ routes, pool, logger, corsOrigins: ['*'] });
 * await app.listen({ port: 8080, host: '0.0.0.0' });
 * ```
 */
export function buildGatewayApp(options: GatewayAppOptions): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_GATEWAY_BODY_LIMIT_BYTES;
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const app = Fastify({
    logger: false,
    bodyLimit,
    // Connection timeouts, as the server's HTTP port (frontends/http-timeouts.ts).
    ...fastifyTimeoutOptions(timeouts),
  });
  watchBodyIdle(app.server, timeouts.bodyIdleTimeoutMs, options.logger);
  watchHttpTransfers(app.server, options.transferLimits ?? DEFAULT_TRANSFER_LIMITS, options.logger);

  // Every body is read as JSON whatever its Content-Type: `curl -d` sends form encoding by default.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(Object.assign(new Error('the request body is empty; expected a JSON object'), { statusCode: 400 }));
      return;
    }
    // The server's JSON limits (depth, arrays and objects), before anything parses or walks the
    // body (nested lists are flattened recursively).
    const problem = jsonLimitProblem(text, 'the request body');
    if (problem !== undefined) {
      done(Object.assign(new Error(problem), { statusCode: 400 }));
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(
        Object.assign(new Error(`the request body is not valid JSON: ${(err as Error).message}`), { statusCode: 400 }),
      );
    }
  });

  // Its onRequest hook sets the headers on every reply (errors and 404s too) and answers preflights.
  registerGatewayCors(app, options.corsOrigins ?? []);

  app.setErrorHandler(async (err, request, reply) => {
    const status = statusOf(err);
    if (status >= 500) options.logger.error({ err, url: request.url }, 'gateway request failed');
    const message =
      (err as { code?: unknown }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `request body is larger than the limit of ${bodyLimit} bytes`
        : err instanceof Error
          ? err.message
          : String(err);
    await reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    await reply.code(404).send({ error: `no route for ${request.method} ${path}` });
  });

  for (const route of options.routes.routes)
    app.post(route.path, routeHandler(route, { pool: options.pool, logger: options.logger }));
  const closeJobs = registerJobRoutes(app, options.routes.routes, options.routes.jobs, options.logger);
  app.addHook('onClose', async () => closeJobs());

  app.get('/health', async (_request, reply) => {
    const ready = options.pool.anyReady();
    await reply.code(ready ? 200 : 503).send({ ready, upstreams: options.pool.status() });
  });
  const openapi = buildOpenApi(options.routes, options.version);
  app.get('/openapi.json', async () => openapi);
  app.get('/docs', async (request, reply) => {
    const origin = `${request.protocol}://${request.headers.host ?? 'localhost'}`;
    await reply.type('text/html; charset=utf-8').send(renderDocsPage(options.routes, origin));
  });
  return app;
}

/** The port a listening fastify instance is bound to. */
export function boundPort(app: FastifyInstance): number {
  return (app.server.address() as AddressInfo).port;
}
