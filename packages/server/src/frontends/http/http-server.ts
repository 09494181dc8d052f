/**
 * The HTTP/REST frontend (KServe v2 + Triton extensions) on fastify: builds the instance, accepts
 * any body of any Content-Type (decompressing gzip/deflate), registers the route table, answers
 * wrong methods with 405 and every failure with `{"error": "..."}`.
 */
import type { AddressInfo } from 'node:net';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { InferenceCore } from '../../core/inference-core.js';
import { LogSettingsStore } from '../../core/log-settings.js';
import { systemClock } from '../../core/clock.js';
import { DEFAULT_TRACE_STARTUP, TraceManager } from '../../core/trace/trace-manager.js';
import { traceHandlers } from './trace-handlers.js';
import { loggingHandlers } from './logging-handlers.js';
import { decodeRequestBody, DEFAULT_MAX_JSON_INFLATION_RATIO } from './compression.js';
import { INFER_HEADER_LENGTH_HEADER } from './binary-extension.js';
import { installErrorHandling } from './error-handler.js';
import { generateHandlers } from './generate-handler.js';
import { inferHandler } from './infer-handler.js';
import { jobHandlers, type JobRouteOptions } from './job-handlers.js';
import type { JobService } from '../../core/jobs/job-service.js';
import { modelHandlers } from './model-handlers.js';
import { repositoryHandlers } from './repository-handlers.js';
import { OTHER_METHODS, ROUTES, type HandlerName } from './routes.js';
import { serverHandlers } from './server-handlers.js';
import { sharedMemoryHandler } from './shared-memory-handlers.js';
import { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';
import { DEFAULT_HTTP_TIMEOUTS, fastifyTimeoutOptions, watchBodyIdle, type HttpTimeouts } from '../http-timeouts.js';
import { watchHttpTransfers } from '../http-transfers.js';
import { logListenerErrors } from '../listener-errors.js';
import { DEFAULT_TRANSFER_LIMITS, type TransferLimits } from '../transfer-limits.js';
import type { TlsKeyPair } from '../tls-files.js';
import { API_GROUP_TABLE } from '../api-groups.js';
import type { InflateBudget } from '../inflate-budget.js';
import { ApiRestrictions } from '../restricted-apis.js';
import { installApiRestrictions, type ApiGroupConfig } from './restricted-routes.js';

/**
 * Default request body limit (as sent and after decompression): 65 MiB, room for a 64 MiB binary
 * tensor plus 1 MiB for the JSON header, the same as the gRPC frontend's receive limit (Triton's
 * HTTP default is 64 MiB, which a 64 MiB tensor does not fit in). A JSON body costs several times
 * its size once parsed, so a much larger default would let one request exhaust the heap. Raise it
 * with `bodyLimitBytes` for larger binary tensors.
 */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 65 * 1024 * 1024;

/** Options of {@link createHttpFrontend}. */
export interface HttpFrontendOptions {
  /** Server logger; the frontend logs failures, not every request. */
  logger: Logger;
  /** Largest accepted request body, before and after decompression (default 65 MiB). */
  bodyLimitBytes?: number | undefined;
  /** Log settings shared with the gRPC frontend (`/v2/logging`); a private store when absent. */
  logSettings?: LogSettingsStore | undefined;
  /** Origins allowed to call the API from browsers (`'*'` for any); no CORS headers when empty. */
  corsOrigins?: readonly string[] | undefined;
  /** Serve HTTPS (`--http-use-ssl`) with this certificate and key; omitted, plain HTTP. */
  tls?: TlsKeyPair | undefined;
  /**
   * API groups that need a header (`--http-restricted-api`), for these routes and those mounted
   * later (`/v1`); omitted, every group is open.
   */
  restrictions?: ApiRestrictions | undefined;
  /** Header, body-idle and keep-alive timeouts of every connection (default 30 s each). */
  timeouts?: HttpTimeouts | undefined;
  /** The server-wide budget for decompression output in flight, shared with gRPC; none when omitted. */
  inflateBudget?: InflateBudget | undefined;
  /**
   * A compressed body's JSON may be at most this many times its compressed size (past 16 KiB);
   * default 32, 0: no limit (`--http-max-json-inflation-ratio`, see compression.ts).
   */
  maxJsonInflationRatio?: number | undefined;
  /** Send-stall timeout and minimum body rate of every connection (default: `DEFAULT_TRANSFER_LIMITS`). */
  transferLimits?: TransferLimits | undefined;
  /** Tracing shared with the gRPC frontend (`/v2/trace/setting`, traced infer requests); tracing off when absent. */
  traces?: TraceManager | undefined;
  /**
   * The server's shared-memory regions, shared with gRPC; omitted, a private registry with client
   * shared memory off (`--allow-client-shm` false).
   */
  sharedMemory?: SharedMemoryRegistry | undefined;
  /** The async job API (docs/jobs.md); its routes answer 501 when absent (`--jobs-store none`). */
  jobs?: JobService | undefined;
  /** How the job routes name clients and bound bodies (default: the remote address, 16 MiB). */
  jobRoutes?: JobRouteOptions | undefined;
}

/**
 * Headers a browser client must be allowed to send and read: the binary tensor extension puts the
 * JSON header's length in `Inference-Header-Content-Length`, both ways. The headers of
 * `--http-restricted-api` are added to the allowed ones.
 */
const CORS_ALLOWED_HEADERS = [
  'Content-Type',
  'Content-Encoding',
  'Inference-Header-Content-Length',
  'Authorization',
  'Job-Callback-Url',
];
const CORS_EXPOSED_HEADERS = ['Inference-Header-Content-Length', 'Content-Encoding', 'Location', 'Retry-After'];

/** A created (not yet listening) HTTP frontend. */
export interface HttpFrontend {
  /** Starts listening; resolves to the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections and closes idle ones. */
  close(): Promise<void>;
  /** The fastify instance, for `inject()` in tests and for adding routes at composition time. */
  server: FastifyInstance;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

function bindHandlers(
  core: InferenceCore,
  logSettings: LogSettingsStore,
  traces: TraceManager,
  sharedMemory: SharedMemoryRegistry,
  jobService: JobService | undefined,
  jobRoutes: JobRouteOptions,
): Record<HandlerName, Handler> {
  const server = serverHandlers(core);
  const logging = loggingHandlers(logSettings);
  const trace = traceHandlers(core, traces);
  const models = modelHandlers(core);
  const repo = repositoryHandlers(core);
  const generate = generateHandlers(core, traces);
  const jobs = jobHandlers(core, jobService, jobRoutes);
  return {
    live: server.live,
    ready: server.ready,
    serverMetadata: server.metadata,
    modelMetadata: models.metadata,
    modelReady: models.ready,
    modelConfig: models.config,
    modelStats: models.stats,
    allModelStats: models.allStats,
    infer: inferHandler(core, traces, sharedMemory),
    generate: generate.generate,
    generateStream: generate.generateStream,
    repositoryIndex: repo.index,
    repositoryLoad: repo.load,
    repositoryUnload: repo.unload,
    namedRepository: repo.namedRepository,
    sharedMemory: sharedMemoryHandler(sharedMemory),
    getLogging: logging.get,
    updateLogging: logging.update,
    getTrace: trace.get,
    updateTrace: trace.update,
    submitJob: jobs.submit,
    getJob: jobs.get,
    jobResult: jobs.result,
    cancelJob: jobs.cancel,
  };
}

function registerRoutes(app: FastifyInstance, handlers: Record<HandlerName, Handler>): void {
  const byUrl = new Map<string, { allowed: Set<string>; config: ApiGroupConfig }>();
  for (const route of ROUTES) {
    const config: ApiGroupConfig = { apiGroup: API_GROUP_TABLE.http[route.handler] };
    app.route({ method: route.method, url: route.url, config, handler: handlers[route.handler] });
    const entry = byUrl.get(route.url) ?? { allowed: new Set<string>(), config };
    if (entry.config.apiGroup !== config.apiGroup) {
      throw new Error(
        `${route.url}: its methods are in different API groups (${entry.config.apiGroup}, ${config.apiGroup})`,
      );
    }
    entry.allowed.add(route.method);
    // fastify adds HEAD for every GET route itself.
    if (route.method === 'GET') entry.allowed.add('HEAD');
    byUrl.set(route.url, entry);
  }
  for (const [url, { allowed, config }] of byUrl) {
    const others = OTHER_METHODS.filter((m) => !allowed.has(m));
    const allow = [...allowed].join(', ');
    // In the path's group: as in Triton, a restricted path answers 403 before it answers 405.
    app.route({
      method: others,
      url,
      config,
      handler: async (request, reply) => {
        await reply
          .code(405)
          .header('allow', allow)
          .type('application/json')
          .send(
            JSON.stringify({
              error: `Method Not Allowed: ${request.method} is not supported on this path (allowed: ${allow})`,
            }),
          );
      },
    });
  }
}

/**
 * Creates the HTTP/REST frontend over a core.
 *
 * @example
 * ```ts
 * const http = createHttpFrontend(core, { logger });
 * const port = await http.listen(8000, '0.0.0.0');
 * // ... later
 * await http.close();
 * ```
 */
export function createHttpFrontend(core: InferenceCore, options: HttpFrontendOptions): HttpFrontend {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_HTTP_BODY_LIMIT_BYTES;
  const maxJsonRatio = options.maxJsonInflationRatio ?? DEFAULT_MAX_JSON_INFLATION_RATIO;
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  // Typed as the default instance: the pino Logger generic fastify infers would otherwise leak
  // into every helper's signature for no gain.
  const app = Fastify({
    loggerInstance: options.logger,
    // One log line per request would dominate the cost of small inferences; failures are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // Model names longer than find-my-way's default of 100 characters must still route.
    routerOptions: { maxParamLength: 1024 },
    // Connection timeouts; HTTPS over node:https (HTTP/1.1, as the plain server).
    ...(options.tls ? fastifyTimeoutOptions(timeouts, options.tls) : fastifyTimeoutOptions(timeouts)),
  }) as unknown as FastifyInstance;
  watchBodyIdle(app.server, timeouts.bodyIdleTimeoutMs, options.logger);
  watchHttpTransfers(app.server, options.transferLimits ?? DEFAULT_TRANSFER_LIMITS, options.logger);

  // One parser for every Content-Type (and none): the infer body is JSON or JSON + binary, and
  // Triton's clients do not always label it. Decompression happens here so every route sees
  // plain bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit },
    async (request: FastifyRequest, body: Buffer | string) => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const encoding = request.headers['content-encoding'];
      return decodeRequestBody(bytes, Array.isArray(encoding) ? encoding[0] : encoding, {
        maxBytes: bodyLimit,
        budget: options.inflateBudget,
        maxJsonRatio,
        jsonHeaderLength: request.headers[INFER_HEADER_LENGTH_HEADER],
      });
    },
  );

  installErrorHandling(app, options.logger, bodyLimit);
  const restrictions = options.restrictions ?? new ApiRestrictions();
  // Before any route (and before the CORS plugin's preflight route) is registered.
  installApiRestrictions(app, restrictions);
  const origins = options.corsOrigins ?? [];
  if (origins.length > 0) {
    // @fastify/cors answers preflights in an onRequest hook, before the 405 handlers below see
    // OPTIONS, and adds the headers to every reply, errors included.
    void app.register(cors, {
      origin: origins.includes('*') ? '*' : [...origins],
      methods: ['GET', 'HEAD', 'POST', 'DELETE'],
      allowedHeaders: [...CORS_ALLOWED_HEADERS, ...restrictions.headers()],
      exposedHeaders: CORS_EXPOSED_HEADERS,
      maxAge: 600,
    });
  }
  registerRoutes(
    app,
    bindHandlers(
      core,
      options.logSettings ?? new LogSettingsStore(options.logger),
      options.traces ?? new TraceManager(DEFAULT_TRACE_STARTUP, { clock: systemClock, logger: options.logger }),
      options.sharedMemory ?? new SharedMemoryRegistry(),
      options.jobs,
      options.jobRoutes ?? { clientHeader: undefined, maxRequestBytes: 16 * 1024 * 1024 },
    ),
  );

  return {
    server: app,
    async listen(port: number, host = '0.0.0.0'): Promise<number> {
      await app.listen({ port, host });
      logListenerErrors(app.server, options.logger, 'HTTP');
      return (app.server.address() as AddressInfo).port;
    },
    async close(): Promise<void> {
      // fastify closes the keep-alive connections that are idle when the drain starts; one whose
      // request is still running goes idle after its response and would stay open until the
      // client drops it or --http-keepalive-timeout-secs passes, holding the drain (and the exit
      // on SIGTERM) that long, up to --exit-timeout-secs.
      // So idle connections are closed again every 50 ms until the server has closed. (Node's
      // server exposes no per-connection "went idle" event; a timer costs nothing per request.)
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      sweep.unref();
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  };
}
