/**
 * The gRPC frontend (Triton's port 8001): `inference.GRPCInferenceService`, `llm.LLMService`,
 * `grpc.health.v1.Health`, server reflection and the custom services of `--grpc-services` on one server, over the protocol-neutral InferenceCore. The server
 * transport is tensorgate's own node:http2 one by default, or @grpc/grpc-js (see grpc-transport.ts).
 */
import type { ServerOptions, ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ModelInferRequestMessage, ModelInferResponseMessage } from '@tensorgate/protocol';
import type { Logger } from 'pino';
import type { InferenceCore } from '../../core/inference-core.js';
import { createHealthService } from './health-service.js';
import { LogSettingsStore } from '../../core/log-settings.js';
import { modelHandlers } from './model-handlers.js';
import { runModelInfer } from './model-infer-handler.js';
import { repositoryHandlers } from './repository-handlers.js';
import { llmServiceHandlers } from './llm-service.js';
import {
  HEALTH_SERVICE_NAME,
  INFERENCE_SERVICE_NAME,
  LLM_SERVICE_NAME,
  serviceDefinitionOf,
} from './service-definition.js';
import { settingsHandlers } from './settings-handlers.js';
import { sharedMemoryHandlers } from './shared-memory-handlers.js';
import { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';
import { StreamInferSession, type StreamInferCall } from './stream-infer-handler.js';
import { systemClock } from '../../core/clock.js';
import { DEFAULT_TRACE_STARTUP, TraceManager } from '../../core/trace/trace-manager.js';
import { createGrpcTransport, type GrpcTransportKind } from './grpc-transport.js';
import type { GrpcTlsMaterial } from '../tls-files.js';
import { ApiRestrictions } from '../restricted-apis.js';
import { guardService } from './restricted-methods.js';
import type { GrpcConnectionLimits } from './connection-limits.js';
import { DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MAX_CONCURRENT_STREAMS } from './call-limit.js';
import { DEFAULT_DECOMPRESSION_BUDGET_BYTES, InflateBudget } from '../inflate-budget.js';
import type { TransferLimits } from '../transfer-limits.js';
import { CUSTOM_SERVICE_GROUP, REFLECTION_GROUP } from '../api-groups.js';
import type { ServiceHost } from './services/service-host.js';
import { customServices } from './services/service-handlers.js';
import type { MethodStats } from './services/service-stats.js';
import { addReflection } from './services/reflection.js';

/**
 * Default largest message received, in bytes: 65 MiB, room for a 64 MiB tensor plus 1 MiB for the
 * rest of the ModelInferRequest, the same as the HTTP frontend's default body limit. It bounds both
 * the compressed (wire) size and the decompressed size, so a gzip bomb stops at this size.
 */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 65 * 1024 * 1024;
/**
 * Default largest message sent, in bytes: 2 GiB - 1 (grpc-js' largest). Responses come from the
 * server's own models and are already in memory when they are sent, and clients set their own
 * receive limits; Triton's gRPC server does not limit them either.
 */
export const DEFAULT_MAX_SEND_MESSAGE_BYTES = 2 ** 31 - 1;
/** Default time a graceful close waits for in-flight calls before cancelling them. */
export const DEFAULT_CLOSE_GRACE_MS = 5000;

/** Options of {@link createGrpcFrontend}. */
export interface GrpcFrontendOptions {
  /** Where the frontend logs. */
  logger: Logger;
  /**
   * Largest message the server accepts, in bytes, compressed and decompressed
   * (`grpc.max_receive_message_length`; grpc C++'s `SetMaxMessageSize` also sets only this one).
   * Defaults to {@link DEFAULT_MAX_RECEIVE_MESSAGE_BYTES} (65 MiB: a 64 MiB tensor passes, unlike
   * with grpc's usual 4 MiB). A larger message fails with RESOURCE_EXHAUSTED.
   */
  maxMessageBytes?: number;
  /**
   * Largest message the server sends, in bytes (`grpc.max_send_message_length`); defaults to
   * {@link DEFAULT_MAX_SEND_MESSAGE_BYTES} (2 GiB - 1). A larger response fails the call with
   * RESOURCE_EXHAUSTED.
   */
  maxSendMessageBytes?: number;
  /** Log settings shared with other frontends; by default one bound to `logger`. */
  logSettings?: LogSettingsStore;
  /** Tracing shared with other frontends (TraceSetting, traced infer calls); by default tracing off. */
  traces?: TraceManager;
  /** Extra grpc-js server options (keepalive, concurrency); merged over the defaults (grpc-js transport only). */
  serverOptions?: ServerOptions;
  /**
   * The server transport (`--grpc-transport`): `native` (default), tensorgate's own gRPC server on
   * node:http2, built for throughput; or `grpc-js`, @grpc/grpc-js. Both serve the same handlers.
   */
  transport?: GrpcTransportKind;
  /**
   * Serve over TLS (`--grpc-use-ssl`) with this certificate and key; with `requireClientCert`,
   * mutual TLS (`--grpc-use-ssl-mutual`): clients must present a certificate signed by
   * `rootCerts`. Omitted, the server is plaintext.
   */
  tls?: GrpcTlsMaterial | undefined;
  /**
   * API groups whose RPCs need the metadata `triton-grpc-protocol-<header>`
   * (`--grpc-restricted-protocol`); omitted, every group is open.
   */
  restrictions?: ApiRestrictions | undefined;
  /**
   * Per-connection time limits: preface and idle timeouts, Triton's keepalive settings, maximum
   * age. Defaults: `DEFAULT_GRPC_CONNECTION_LIMITS` (connection-limits.ts).
   */
  connectionLimits?: GrpcConnectionLimits | undefined;
  /**
   * HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of every connection (`--grpc-max-concurrent-streams`);
   * default `DEFAULT_MAX_CONCURRENT_STREAMS` (1,000).
   */
  maxConcurrentStreams?: number | undefined;
  /**
   * Calls open at once over all connections (`--grpc-max-concurrent-calls`); more are refused with
   * REFUSED_STREAM. Default `DEFAULT_MAX_CONCURRENT_CALLS` (10,000).
   */
  maxConcurrentCalls?: number | undefined;
  /**
   * The server-wide budget for decompression output in flight (`--decompression-budget-bytes`),
   * shared with the HTTP frontend; omitted, one of its own of the default size (320 MiB).
   */
  inflateBudget?: InflateBudget | undefined;
  /**
   * Send-stall timeout and minimum request message rate. Defaults: `DEFAULT_TRANSFER_LIMITS`
   * (frontends/transfer-limits.ts).
   */
  transferLimits?: TransferLimits | undefined;
  /**
   * The server's shared-memory regions, shared with HTTP; omitted, a private registry with client
   * shared memory off (`--allow-client-shm` false).
   */
  sharedMemory?: SharedMemoryRegistry | undefined;
  /**
   * The custom services of `--grpc-services` (docs/grpc-services.md), served next to the
   * built-in ones with the same limits, TLS and restrictions (their rpcs are in the
   * `inference` group); omitted, none.
   */
  customServices?: ServiceHost | undefined;
}

/** A started-or-not gRPC frontend. */
export interface GrpcFrontend {
  /** The numbers of each custom service rpc, by path (empty without custom services), for `/metrics`. */
  readonly serviceStats: ReadonlyMap<string, MethodStats>;
  /** Binds and starts serving; resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Stops accepting calls, ends health Watch streams, waits up to `graceMs` for in-flight calls,
   * then cancels whatever is left.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Creates the gRPC frontend.
 *
 * @example
 * ```ts
 * const grpc = createGrpcFrontend(core, { logger });
 * const port = await grpc.listen(8001);
 * // ...
 * await grpc.close();
 * ```
 */
export function createGrpcFrontend(core: InferenceCore, options: GrpcFrontendOptions): GrpcFrontend {
  const logger = options.logger.child({ frontend: 'grpc' });
  const transport = options.transport ?? 'native';
  const server = createGrpcTransport({
    kind: transport,
    limits: {
      receive: options.maxMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
      send: options.maxSendMessageBytes ?? DEFAULT_MAX_SEND_MESSAGE_BYTES,
      inflateBudget: options.inflateBudget ?? new InflateBudget(DEFAULT_DECOMPRESSION_BUDGET_BYTES),
    },
    maxConcurrentStreams: options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    maxConcurrentCalls: options.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS,
    tls: options.tls,
    logger,
    serverOptions: options.serverOptions,
    connectionLimits: options.connectionLimits,
    transferLimits: options.transferLimits,
  });
  const custom = options.customServices
    ? customServices(options.customServices, systemClock)
    : { services: [], stats: new Map<string, MethodStats>() };
  const health = createHealthService(
    core,
    undefined,
    custom.services.map((s) => s.name),
  );
  const traces = options.traces ?? new TraceManager(DEFAULT_TRACE_STARTUP, { clock: systemClock, logger });
  const sharedMemory = options.sharedMemory ?? new SharedMemoryRegistry();

  const inference: UntypedServiceImplementation = {
    ...modelHandlers(core, logger),
    ...repositoryHandlers(core, logger),
    ...sharedMemoryHandlers(sharedMemory, logger),
    ...settingsHandlers(core, logger, options.logSettings ?? new LogSettingsStore(options.logger), traces),
    ModelInfer: (
      call: ServerUnaryCall<ModelInferRequestMessage, ModelInferResponseMessage>,
      callback: sendUnaryData<ModelInferResponseMessage>,
    ) => void runModelInfer(core, logger, call, callback, traces, sharedMemory),
    ModelStreamInfer: (call: StreamInferCall) => new StreamInferSession(core, logger, call, traces, sharedMemory),
  };
  const restrictions = options.restrictions ?? new ApiRestrictions();
  const services: Array<[string, UntypedServiceImplementation]> = [
    [INFERENCE_SERVICE_NAME, inference],
    [LLM_SERVICE_NAME, llmServiceHandlers(core, logger)],
    [HEALTH_SERVICE_NAME, health.implementation],
  ];
  for (const [name, implementation] of services) {
    const definition = serviceDefinitionOf(name);
    server.addService(definition, guardService(definition, implementation, restrictions));
  }
  for (const service of custom.services) {
    server.addService(
      service.definition,
      guardService(service.definition, service.implementation, restrictions, () => CUSTOM_SERVICE_GROUP),
    );
  }
  addReflection(
    {
      addService: (definition, implementation) =>
        server.addService(
          definition,
          guardService(definition, implementation, restrictions, () => REFLECTION_GROUP),
        ),
    },
    options.customServices?.folders ?? [],
  );

  return {
    serviceStats: custom.stats,
    async listen(port: number, host = '0.0.0.0'): Promise<number> {
      const bound = await server.listen(port, host);
      const tls = options.tls === undefined ? 'off' : options.tls.requireClientCert ? 'mutual' : 'on';
      logger.info({ address: host, port: bound, tls, transport }, 'gRPC frontend listening');
      return bound;
    },
    close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
      health.close();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ graceMs }, 'gRPC frontend: cancelling calls still running after the grace period');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
