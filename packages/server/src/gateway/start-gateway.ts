/**
 * The gateway's composition root: routes file + upstream addresses → upstream pool (gRPC via
 * @tensorgate/client) → fastify app, listening. The CLI and the wire tests both start it here.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { HttpTimeouts } from '../frontends/http-timeouts.js';
import { logListenerErrors } from '../frontends/listener-errors.js';
import { boundPort, buildGatewayApp } from './gateway-server.js';
import type { GatewayTransport } from './gateway-transport.js';
import { grpcTransport } from './grpc-transport.js';
import { loadRoutesFile } from './route-file.js';
import type { RoutesFile } from './route-types.js';
import { UpstreamPool, type GatewayClock } from './upstream-pool.js';

/** Default health-check period. */
export const DEFAULT_HEALTH_INTERVAL_MS = 2000;

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** A routes file path, or an already validated routes file. */
  readonly routes: string | RoutesFile;
  /** Upstream `host:port` addresses, added to those of the routes file. */
  readonly upstreams?: readonly string[];
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Allowed CORS origins; overrides the routes file's `cors.origins`. */
  readonly corsOrigins?: readonly string[];
  /** Overrides the routes file's `healthIntervalMs` (default 2000). */
  readonly healthIntervalMs?: number;
  readonly logger?: Logger;
  readonly bodyLimitBytes?: number;
  /** Connection factory (default: gRPC via @tensorgate/client); tests inject fakes. */
  readonly createTransport?: (address: string) => GatewayTransport;
  readonly clock?: GatewayClock;
  readonly version?: string;
  /** Header, body-idle and keep-alive timeouts of the gateway's connections (default 30 s each). */
  readonly timeouts?: HttpTimeouts;
}

/** A listening gateway. */
export interface RunningGateway {
  readonly port: number;
  /** `http://host:port` (127.0.0.1 when listening on every interface). */
  readonly url: string;
  readonly pool: UpstreamPool<GatewayTransport>;
  readonly routes: RoutesFile;
  /** Stops listening, then stops health checks and closes upstream connections. */
  close(): Promise<void>;
}

/**
 * Starts a gateway: runs a first round of upstream health checks (the gateway starts even when no
 * upstream is ready yet; it answers 503 until one is), then listens.
 *
 * @example
 * ```ts
 * const gw = await startGateway({ routes: 'examples/gateway/routes.yaml', upstreams: ['127.0.0.1:8001'], port: 8080 });
 * // curl -s localhost:8080/forecast -d '{"series": [0, 0.5, 0.87, 1, 0.87, 0.5, 0, -0.5, -0.87, -1]}'
 * await gw.close();
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? pino({ name: 'tensorgate-gateway', level: 'silent' });
  const routes = typeof options.routes === 'string' ? loadRoutesFile(options.routes) : options.routes;
  const addresses = [...new Set([...routes.upstreams, ...(options.upstreams ?? [])])];
  if (addresses.length === 0)
    throw new Error('no upstream server: give --upstream HOST:PORT or list `upstreams` in the routes file');
  const pool = new UpstreamPool<GatewayTransport>({
    addresses,
    createTransport: options.createTransport ?? grpcTransport,
    healthIntervalMs: options.healthIntervalMs ?? routes.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS,
    logger,
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  const app = buildGatewayApp({
    routes,
    pool,
    logger,
    corsOrigins: options.corsOrigins ?? routes.corsOrigins ?? [],
    ...(options.bodyLimitBytes !== undefined && { bodyLimitBytes: options.bodyLimitBytes }),
    ...(options.version !== undefined && { version: options.version }),
    ...(options.timeouts !== undefined && { timeouts: options.timeouts }),
  });
  try {
    await pool.start();
    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 8080, host });
    logListenerErrors(app.server, logger, 'gateway');
    const port = boundPort(app);
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    logger.info({ port, upstreams: addresses, routes: routes.routes.map((r) => r.path) }, 'gateway listening');
    return {
      port,
      url: `http://${shownHost}:${port}`,
      pool,
      routes,
      async close() {
        await app.close();
        await pool.close();
      },
    };
  } catch (err) {
    await app.close().catch(() => undefined);
    await pool.close().catch(() => undefined);
    throw err;
  }
}
