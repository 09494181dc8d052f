/**
 * The composition root: builds the core from settings, registers the backends, starts the
 * frontends, and returns a handle whose `shutdown` drains in-flight requests before exiting.
 * It is the only module that knows every layer.
 */
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Backend, ModelCaller } from './backend-api/backend.js';
import { createJsBackend } from './backends/js/index.js';
import { createLlmBackend } from './backends/llm/index.js';
import { createOnnxRuntimeBackend } from './backends/onnxruntime/index.js';
import { parseBackendConfig } from './cli/backend-config.js';
import { createServerLogger } from './cli/create-logger.js';
import { parseMetricsConfig } from './cli/metrics-config.js';
import { bindAddresses, type ServerSettings } from './cli/settings.js';
import type { LogOutput } from './core/log-output.js';
import { systemClock } from './core/clock.js';
import { resolveGpus, type GpuDetection } from './core/gpu-detect.js';
import { InferenceServer } from './core/inference-server.js';
import { LogSettingsStore } from './core/log-settings.js';
import { TraceManager } from './core/trace/trace-manager.js';
import { assertTraceFileWritable } from './core/trace/trace-file.js';
import { parseTraceConfig } from './cli/trace-config.js';
import { openRateLimiter } from './cli/rate-limit-resource.js';
import { openResponseCache } from './core/cache/open-response-cache.js';
import { registerCacheMetrics } from './frontends/metrics/cache-metrics.js';
import { ObserverHub } from './core/observer-hub.js';
import { ModelManager } from './core/repository/model-manager.js';
import { ModelRepository } from './core/repository/model-repository.js';
import { createGrpcFrontend, type GrpcConnectionLimits } from './frontends/grpc/index.js';
import type { HttpTimeouts } from './frontends/http-timeouts.js';
import type { TransferLimits } from './frontends/transfer-limits.js';
import { createHttpFrontend } from './frontends/http/index.js';
import { createMetricsFrontend } from './frontends/metrics/index.js';
import { registerServiceMetrics } from './frontends/metrics/service-metrics.js';
import { ServiceHost } from './frontends/grpc/services/service-host.js';
import { mountOpenAiFrontend } from './frontends/openai/index.js';
import { LiveStats, mountConsole } from './frontends/console/index.js';
import { openAdminApisWarning } from './frontends/exposure-warning.js';
import { parseRestrictions } from './frontends/restricted-apis.js';
import { loadServerTls } from './frontends/tls-files.js';
import { InflateBudget } from './frontends/inflate-budget.js';
import { SharedMemoryRegistry } from './frontends/shared-memory/system-shared-memory.js';
import { openJobService } from './core/jobs/open-job-service.js';
import { httpJobExecutor } from './frontends/http/job-executor.js';
import { registerJobMetrics } from './frontends/metrics/job-metrics.js';

/** The server package version, reported by ServerMetadata. */
export const SERVER_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

/** A started server. */
export interface RunningServer {
  /** Ports actually bound (useful with port 0), absent when the protocol is disabled. */
  readonly ports: { http?: number; grpc?: number; metrics?: number };
  /** The core, for embedding and tests. */
  readonly core: InferenceServer;
  /**
   * Stops accepting requests, waits for in-flight ones up to the exit timeout, unloads the models
   * and closes every listener. Safe to call more than once.
   */
  shutdown(reason?: string): Promise<void>;
}

/** Extra dependencies, mainly for tests and embedding. */
export interface ServerDeps {
  logger?: Logger;
  /** Backends to register instead of the built-in set. */
  backends?: readonly Backend[];
  /** GPU detection instead of the host's (tests inject a GPU host); `--gpus` still applies. */
  detectGpus?: () => GpuDetection;
  /** The switches behind `logger` (`cli/create-logger.ts`), so the logging API drives them too. */
  logOutput?: LogOutput;
}

/** The HTTP listeners' connection timeouts (HTTP API and metrics) from the settings. */
export function httpTimeoutsOf(settings: ServerSettings): HttpTimeouts {
  return {
    headerTimeoutMs: settings.httpHeaderTimeoutSecs * 1000,
    bodyIdleTimeoutMs: settings.httpBodyIdleTimeoutSecs * 1000,
    keepAliveTimeoutMs: settings.httpKeepaliveTimeoutSecs * 1000,
  };
}

/** The HTTP listeners' send-stall timeout and minimum body rate (HTTP API and metrics) from the settings. */
export function httpTransferLimitsOf(settings: ServerSettings): TransferLimits {
  return {
    sendStallTimeoutMs: settings.httpSendStallTimeoutSecs * 1000,
    minReceiveBytesPerSec: settings.httpMinBodyRate,
    receiveRateGraceMs: settings.httpMinBodyRateGraceSecs * 1000,
  };
}

/** The gRPC port's send-stall timeout and minimum request message rate from the settings. */
export function grpcTransferLimitsOf(settings: ServerSettings): TransferLimits {
  return {
    sendStallTimeoutMs: settings.grpcSendStallTimeoutSecs * 1000,
    minReceiveBytesPerSec: settings.grpcMinMessageRate,
    receiveRateGraceMs: settings.grpcMinMessageRateGraceSecs * 1000,
  };
}

/** The gRPC connection limits from the settings (Triton's keepalive flags are in milliseconds). */
export function grpcConnectionLimitsOf(settings: ServerSettings): GrpcConnectionLimits {
  return {
    prefaceTimeoutMs: settings.grpcPrefaceTimeoutSecs * 1000,
    idleTimeoutMs: settings.grpcConnectionIdleTimeoutSecs * 1000,
    keepaliveTimeMs: settings.grpcKeepaliveTime,
    keepaliveTimeoutMs: settings.grpcKeepaliveTimeout,
    keepalivePermitWithoutCalls: settings.grpcKeepalivePermitWithoutCalls,
    maxPingsWithoutData: settings.grpcHttp2MaxPingsWithoutData,
    minRecvPingIntervalWithoutDataMs: settings.grpcHttp2MinRecvPingIntervalWithoutData,
    maxPingStrikes: settings.grpcHttp2MaxPingStrikes,
    maxConnectionAgeMs: settings.grpcMaxConnectionAge,
    maxConnectionAgeGraceMs: settings.grpcMaxConnectionAgeGrace,
  };
}

/**
 * The built-in backends, with the `--backend-config` settings (`cli/backend-config.ts`) of
 * `settings` when given.
 */
export function defaultBackends(settings?: Pick<ServerSettings, 'backendConfig'>): Backend[] {
  const options = parseBackendConfig(settings?.backendConfig ?? []);
  return [createJsBackend(), createOnnxRuntimeBackend(options.onnxruntime), createLlmBackend()];
}

/**
 * Starts tensorgate.
 *
 * @example
 * ```ts
 * const server = await createServer(parseSettings(['--model-repository', 'models', '--http-port', '0'], {}));
 * console.log(server.ports.http);
 * await server.shutdown();
 * ```
 */
export async function createServer(settings: ServerSettings, deps: ServerDeps = {}): Promise<RunningServer> {
  // Without a logger of the embedder's, the settings' own (--log-file, --log-encoding, ...).
  let logger: Logger;
  let logOutput: LogOutput | undefined;
  if (deps.logger !== undefined) {
    logger = deps.logger;
    logOutput = deps.logOutput;
  } else {
    ({ logger, output: logOutput } = createServerLogger(settings));
  }
  // Before anything loads: a missing or mismatched certificate stops startup at once.
  const tls = loadServerTls(settings);
  // Likewise a trace file that cannot be written (Triton would only fail at its first trace).
  const traceStartup = parseTraceConfig(settings.traceConfig, process.env);
  if (traceStartup.file !== '') await assertTraceFileWritable(traceStartup.file);
  // Likewise a bad --http-restricted-api / --grpc-restricted-protocol (parseSettings already
  // checked them; embedders may build settings by hand).
  const restrictions = {
    http: parseRestrictions('http', settings.httpRestrictedApi),
    grpc: parseRestrictions('grpc', settings.grpcRestrictedProtocol),
  };
  const addresses = bindAddresses(settings);
  const httpOpen = settings.allowHttp ? restrictions.http : undefined;
  const grpcOpen = settings.allowGrpc ? restrictions.grpc : undefined;
  // One warning per bind address the HTTP and gRPC endpoints use.
  const exposures =
    addresses.http === addresses.grpc
      ? [openAdminApisWarning({ host: addresses.http, http: httpOpen, grpc: grpcOpen })]
      : [
          openAdminApisWarning({ host: addresses.http, http: httpOpen, grpc: undefined }),
          openAdminApisWarning({ host: addresses.grpc, http: undefined, grpc: grpcOpen }),
        ];
  for (const exposure of exposures) {
    if (exposure !== undefined) logger.warn({ host: exposure.host, openApis: exposure.open }, exposure.message);
  }
  const observers = new ObserverHub();
  const startedAtMs = systemClock.wallMs();
  // The console's per-second statistics (its charts): collected only when it is served.
  const liveStats = settings.console && settings.allowHttp ? new LiveStats(systemClock) : undefined;
  if (liveStats) observers.add(liveStats);
  const repository = new ModelRepository(settings.modelRepository, logger);
  await repository.listModels();
  const gpus = resolveGpus(settings.gpus, deps.detectGpus);
  logger.info({ gpus: gpus.ids, source: gpus.source }, 'GPUs');
  const backends = deps.backends ?? defaultBackends(settings);
  const metricsConfig = parseMetricsConfig(settings.metricsConfig);
  if (settings.modelControlMode !== 'none') {
    // Models may load while serving: let backends do their one-time blocking set-up now.
    await Promise.all(backends.map((b) => b.prepare?.()));
  }
  // Models call other models (BLS) through the core itself; `core` is created just below, before
  // any model loads (manager.start()), so the call only reads it once it exists.
  const models: ModelCaller = { infer: (request, ctx) => core.infer(request, ctx) };
  const rateLimiter = openRateLimiter(settings, gpus.ids, logger);
  const manager = new ModelManager({
    repository,
    controlMode: settings.modelControlMode,
    startupModels: settings.loadModel,
    pollSecs: settings.repositoryPollSecs,
    autoComplete: !settings.disableAutoCompleteConfig && !settings.strictModelConfig,
    gpus: gpus.ids,
    backends,
    logger,
    clock: systemClock,
    observer: observers,
    models,
    configName: settings.modelConfigName,
    loadThreadCount: settings.modelLoadThreadCount,
    loadRetryCount: settings.modelLoadRetryCount,
    exitOnError: settings.exitOnError,
    ...(rateLimiter ? { rateLimiter } : {}),
    maxSequenceBacklog: settings.maxSequenceBacklog,
    maxSequenceStateBytes: settings.maxSequenceStateBytes,
  });
  const responseCache = await openResponseCache(settings, logger);
  if (!responseCache) {
    // As in Triton, such a model loads and runs uncached; say so once per version.
    observers.add({
      onVersionReady: (model, version) => {
        const config = core.modelConfig(model, version);
        if ((config['response_cache'] as { enable?: boolean } | undefined)?.enable === true) {
          logger.warn(
            { model, version },
            'response_cache is enabled in the model config but the server has no cache (--cache-config): responses are not cached',
          );
        }
      },
    });
  }
  const core = new InferenceServer({
    manager,
    observers,
    version: SERVER_VERSION,
    strictReadiness: settings.strictReadiness,
    name: settings.id,
    ...(responseCache ? { responseCache } : {}),
  });

  // One log-settings state behind gRPC LogSettings and HTTP /v2/logging.
  const logSettings = new LogSettingsStore(logger, logOutput);
  // One tracing state behind gRPC TraceSetting, HTTP /v2/trace/setting and traced requests.
  const traces = new TraceManager(traceStartup, { clock: systemClock, logger });
  // One budget for decompression output in flight, shared by HTTP and gRPC.
  const inflateBudget = new InflateBudget(settings.decompressionBudgetBytes);
  // One set of system shared-memory regions, registered and used over HTTP and gRPC.
  const sharedMemory = new SharedMemoryRegistry({
    allowClientShm: settings.allowClientShm,
    maxRegions: settings.sharedMemoryMaxRegions,
    maxBytes: settings.sharedMemoryMaxBytes,
  });
  // The async job API (docs/jobs.md): jobs run through the HTTP frontend's codecs and the core.
  // Built before anything listens, so a bad --jobs-* value stops start-up.
  const jobs = settings.allowHttp ? openJobService(settings, httpJobExecutor(core, traces), logger) : undefined;
  const closers: Array<() => Promise<void>> = [];
  const ports: { http?: number; grpc?: number; metrics?: number } = {};
  let metricsRegistry: Registry | undefined;
  let services: ServiceHost | undefined;
  try {
    if (settings.allowGrpc && settings.grpcServices !== undefined) {
      // Custom gRPC services (docs/grpc-services.md): a proto or module that does not load stops
      // start-up here, with its file:line, before any port is bound.
      services = await ServiceHost.start(settings.grpcServices, {
        threads: settings.grpcServiceThreads,
        caller: models,
        logger: logger.child({ frontend: 'grpc-services' }),
        traces,
      });
      const host = services;
      closers.push(() => host.close());
      logger.info({ root: host.root, rpcs: host.rpcs.map((r) => r.path) }, 'custom gRPC services loaded');
    }
    if (settings.allowMetrics) {
      const metrics = createMetricsFrontend(core, {
        logger,
        timeouts: httpTimeoutsOf(settings),
        transferLimits: httpTransferLimitsOf(settings),
        hostMetrics: settings.allowCpuMetrics,
        latencies: metricsConfig,
      });
      if (responseCache) registerCacheMetrics(metrics.registry, responseCache);
      if (jobs) registerJobMetrics(metrics.registry, jobs);
      metricsRegistry = metrics.registry;
      ports.metrics = await metrics.listen(settings.metricsPort, addresses.metrics);
      closers.push(() => metrics.close());
    }
    await manager.start();
    core.markStarted();
    if (settings.allowGrpc) {
      const grpc = createGrpcFrontend(core, {
        logger,
        maxMessageBytes: settings.grpcMaxMessageBytes,
        maxSendMessageBytes: settings.grpcMaxSendMessageBytes,
        transport: settings.grpcTransport,
        logSettings,
        traces,
        tls: tls.grpc,
        restrictions: restrictions.grpc,
        connectionLimits: grpcConnectionLimitsOf(settings),
        maxConcurrentStreams: settings.grpcMaxConcurrentStreams,
        maxConcurrentCalls: settings.grpcMaxConcurrentCalls,
        inflateBudget,
        transferLimits: grpcTransferLimitsOf(settings),
        sharedMemory,
        customServices: services,
      });
      if (metricsRegistry !== undefined && grpc.serviceStats.size > 0) {
        registerServiceMetrics(metricsRegistry, grpc.serviceStats);
      }
      ports.grpc = await grpc.listen(settings.grpcPort, addresses.grpc);
      closers.push(() => grpc.close(settings.exitTimeoutSecs * 1000));
    }
    if (settings.allowHttp) {
      const http = createHttpFrontend(core, {
        logger,
        bodyLimitBytes: settings.httpMaxBodyBytes,
        logSettings,
        traces,
        corsOrigins: settings.httpCorsOrigins,
        tls: tls.http,
        restrictions: restrictions.http,
        timeouts: httpTimeoutsOf(settings),
        inflateBudget,
        maxJsonInflationRatio: settings.httpMaxJsonInflationRatio,
        transferLimits: httpTransferLimitsOf(settings),
        sharedMemory,
        jobs,
        jobRoutes: {
          clientHeader: settings.jobsClientHeader?.toLowerCase(),
          maxRequestBytes: settings.jobsMaxRequestBytes,
        },
      });
      // The OpenAI-compatible API shares the HTTP port, under /v1.
      mountOpenAiFrontend(http.server, core, { logger, apiKey: settings.openaiApiKey });
      if (liveStats) {
        // The web console (docs/console.md) shares the HTTP port too, under /console.
        mountConsole(http.server, {
          stats: liveStats,
          version: SERVER_VERSION,
          server: {
            ports: () => ports,
            controlMode: settings.modelControlMode,
            startedAtMs,
            nowMs: systemClock.wallMs,
            restrictions: restrictions.http,
          },
        });
      }
      ports.http = await http.listen(settings.httpPort, addresses.http);
      closers.push(() => http.close());
    }
    if (jobs) {
      // Workers start once the models are loaded; their close waits for running jobs (Redis).
      await jobs.start();
      closers.push(() => jobs.close());
    }
  } catch (e) {
    await Promise.allSettled(closers.map((c) => c()));
    await jobs?.close().catch(() => {});
    await manager.stop().catch(() => {});
    await traces.shutdown().catch(() => {});
    await responseCache?.store.close();
    throw e;
  }
  logger.info({ ports, repository: repository.root, mode: settings.modelControlMode }, 'tensorgate started');

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info({ reason }, 'shutting down: draining in-flight requests');
      // Before the core refuses requests: a job taken now would fail instead of waiting for another replica.
      jobs?.stopTaking();
      core.markStopping();
      const deadline = new Promise<void>((r) => setTimeout(r, settings.exitTimeoutSecs * 1000).unref());
      // Frontends stop accepting first (gRPC and HTTP close wait for in-flight calls), then models unload.
      await Promise.race([Promise.allSettled(closers.reverse().map((c) => c())), deadline]);
      await Promise.race([manager.stop(), deadline]);
      // Traces still held go to the trace file (closing its array); spans still queued are exported.
      await Promise.race([traces.shutdown(), deadline]).catch((err: unknown) =>
        logger.error({ err }, 'writing the last traces failed'),
      );
      await sharedMemory.close();
      await responseCache?.store.close();
      logger.info('tensorgate stopped');
    })();
    return shuttingDown;
  };
  return { ports, core, shutdown };
}
