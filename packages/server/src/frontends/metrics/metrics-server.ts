/**
 * The metrics frontend: `GET /metrics` in Prometheus text format on its own port (8002 by default,
 * like Triton). One route needs no framework, so this is plain `node:http`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { InferenceCore } from '../../core/inference-core.js';
import {
  clientErrorResponder,
  DEFAULT_HTTP_TIMEOUTS,
  httpServerTimeoutOptions,
  watchBodyIdle,
  type HttpTimeouts,
} from '../http-timeouts.js';
import { watchHttpTransfers } from '../http-transfers.js';
import { DEFAULT_TRANSFER_LIMITS, type TransferLimits } from '../transfer-limits.js';
import { logListenerErrors } from '../listener-errors.js';
import { registerHostMetrics, type HostSampler } from './host-metrics.js';
import { MetricsObserver } from './metrics-observer.js';
import type { MetricsConfig } from '../../cli/metrics-config.js';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/** Options of {@link createMetricsFrontend}. */
export interface MetricsFrontendOptions {
  readonly logger: Logger;
  /** Include prom-client's default process / Node.js metrics (default true). */
  readonly processMetrics?: boolean;
  /** Include Triton's host CPU and memory gauges (default true). */
  readonly hostMetrics?: boolean;
  /** Triton's `--metrics-config` latency choices (default: duration counters, no summaries). */
  readonly latencies?: MetricsConfig;
  /** Source of the host gauges; tests inject fixed numbers. */
  readonly hostSampler?: HostSampler;
  /** Header, body-idle and keep-alive timeouts, as the HTTP API's (default 30 s each). */
  readonly timeouts?: HttpTimeouts | undefined;
  /** Send-stall timeout and minimum body rate, as the HTTP API's (default: `DEFAULT_TRANSFER_LIMITS`). */
  readonly transferLimits?: TransferLimits | undefined;
}

/** A started-or-not metrics endpoint and the registry behind it. */
export interface MetricsFrontend {
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
  /** The registry served on `/metrics` (its own, never prom-client's global one). */
  readonly registry: Registry;
}

/**
 * Creates the metrics frontend and subscribes it to the core's request and execution events.
 *
 * @example
 * ```ts
 * const metrics = createMetricsFrontend(core, { logger });
 * const port = await metrics.listen(8002, '0.0.0.0');
 * // curl localhost:8002/metrics
 * await metrics.close();
 * ```
 */
export function createMetricsFrontend(
  core: Pick<InferenceCore, 'addObserver'>,
  options: MetricsFrontendOptions,
): MetricsFrontend {
  const { logger } = options;
  const registry = new Registry();
  core.addObserver(new MetricsObserver(registry, options.latencies));
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  if (options.hostMetrics ?? true) registerHostMetrics(registry, options.hostSampler);

  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const server: Server = createServer(httpServerTimeoutOptions(timeouts), (req, res) => {
    handle(registry, req, res).catch((err: unknown) => {
      logger.error({ err }, 'metrics: failed to render /metrics');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('failed to collect metrics\n');
    });
  });
  watchBodyIdle(server, timeouts.bodyIdleTimeoutMs, logger);
  watchHttpTransfers(server, options.transferLimits ?? DEFAULT_TRANSFER_LIMITS, logger);
  server.on('clientError', clientErrorResponder(timeouts));

  return {
    registry,
    listen(port: number, host?: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          logListenerErrors(server, logger, 'metrics');
          const bound = (server.address() as AddressInfo).port;
          logger.info({ port: bound, host: host ?? '::' }, 'metrics endpoint listening');
          resolve(bound);
        });
      });
    },
    close(): Promise<void> {
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Prometheus keeps its connection alive between scrapes; without this close() would wait.
        server.closeAllConnections();
      });
    },
  };
}

async function handle(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== METRICS_PATH) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, {
    'content-type': registry.contentType,
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
