/**
 * The protocol-neutral facade every frontend talks to. HTTP, gRPC and metrics import this
 * interface (and the types it names), never the registry, schedulers or backends behind it.
 */
import type { ModelConfig } from './config/model-config.js';
import type { ModelMetadata, ModelStatistics, RepositoryIndexEntry, ServerMetadata } from './protocol-shapes.js';
import type { InferRequest, InferResponse, RequestContext } from './types.js';
import type { InferenceObserver } from './observer.js';

/** Options of a load request (`POST /v2/repository/models/{m}/load`, RepositoryModelLoad). */
export interface LoadOptions {
  /** A JSON ModelConfig that replaces config.pbtxt for this load (Triton's `config` parameter). */
  config?: string;
}

/** Options of an unload request. */
export interface UnloadOptions {
  /**
   * Triton's `unload_dependents`: the ensembles using the model are unloaded for good (not only
   * taken down until it is back), and unloading an ensemble also unloads its composing models
   * that were loaded only along with it.
   */
  unloadDependents?: boolean;
}

/**
 * What frontends can ask of the server. Every method throws {@link InferenceError} on failure.
 *
 * @example
 * ```ts
 * for await (const response of core.infer(request, { signal, protocol: 'grpc', allowDecoupled: false })) {
 *   reply(encode(response));
 * }
 * ```
 */
export interface InferenceCore {
  /** Liveness: the process is up and not shutting down. */
  isLive(): boolean;
  /** Readiness: live, and (with strict readiness) every model that should be loaded is ready. */
  isReady(): boolean;
  /** Server name, version and supported extensions. */
  serverMetadata(): ServerMetadata;
  /** True when the model (and version, if given) is loaded and ready. Unknown models are false. */
  isModelReady(name: string, version?: string): boolean;
  /** Metadata of a ready model version; NOT_FOUND / UNAVAILABLE otherwise. */
  modelMetadata(name: string, version?: string): ModelMetadata;
  /** The normalized config of a ready model version. */
  modelConfig(name: string, version?: string): ModelConfig;
  /** Statistics of one model (all versions unless `version` given) or of all models when name is ''. */
  modelStatistics(name?: string, version?: string): ModelStatistics[];
  /** The repository index: every model in the repository (and loaded), with state and reason. */
  repositoryIndex(readyOnly?: boolean): Promise<RepositoryIndexEntry[]>;
  /** Loads or reloads a model (explicit mode; UNSUPPORTED in other modes). */
  loadModel(name: string, options?: LoadOptions): Promise<void>;
  /** Unloads a model (explicit mode; UNSUPPORTED in other modes). */
  unloadModel(name: string, options?: UnloadOptions): Promise<void>;
  /**
   * Runs one inference. Validation happens before the first response is yielded, so a bad request
   * rejects on the first `next()` with INVALID_ARG / NOT_FOUND / UNAVAILABLE. Non-decoupled models
   * yield exactly one response with `final: true`; decoupled ones zero or more, the last final, and
   * may yield non-final responses carrying `error` (the request goes on after them).
   */
  infer(request: InferRequest, ctx: RequestContext): AsyncIterable<InferResponse>;
  /** Subscribes to per-request and per-execution events (metrics). */
  addObserver(observer: InferenceObserver): void;
}
