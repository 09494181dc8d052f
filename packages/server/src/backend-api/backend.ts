/**
 * The backend interface. Backends (js, onnxruntime, llm, ensemble) implement it and import only
 * this folder and the core's data types; the core drives them through it and never imports a
 * concrete backend (the composition root `create-server.ts` registers them by name).
 */
import type { Logger } from 'pino';
import type { CancelSignal } from '../core/cancel-signal.js';
import type { BackendConfigSupport } from '../core/config/config-support.js';
import type { ModelConfig } from '../core/config/model-config.js';
import type { InferenceError } from '../core/errors.js';
import type { RequestTrace } from '../core/trace/request-trace.js';
import type { InferRequest, InferResponse, Parameters, RequestContext, Tensor } from '../core/types.js';

/**
 * Runs inferences on the models the server serves, through the core (version resolution,
 * validation, the callee's scheduler and dynamic batcher, its statistics, cancellation), never
 * over the network: what a backend uses for Business Logic Scripting (a model calling other
 * models). The composition root hands the core's `infer` to backends through
 * {@link BackendModelContext.models}; backends pass `protocol: 'internal'`.
 */
export interface ModelCaller {
  /** As `InferenceCore.infer`: validation errors reject the first `next()`; responses follow. */
  infer(request: InferRequest, ctx: RequestContext): AsyncIterable<InferResponse>;
}

export type { BackendConfigSupport };

/** Everything a backend needs to load one model version. */
export interface BackendModelContext {
  /** Model name. */
  readonly name: string;
  /** Version number being loaded. */
  readonly version: number;
  /** The normalized config (already auto-completed). */
  readonly config: ModelConfig;
  /** `<repository>/<model>` */
  readonly modelPath: string;
  /** `<repository>/<model>/<version>` */
  readonly versionPath: string;
  /** The model repository root. */
  readonly repositoryPath: string;
  /** A child logger bound to the model. */
  readonly logger: Logger;
  /**
   * Reports that an instance's worker (or process) was replaced: the core counts it in the metrics
   * (`tensorgate_model_instance_restarts_total`). Absent in contexts that do not count restarts.
   */
  readonly reportRestart?: (instance: string, reason: InstanceRestartReason) => void;
  /**
   * Calls other served models (BLS). Absent where the server offers none (unit tests, embedders
   * that build contexts by hand): a backend then answers such calls with an error.
   */
  readonly models?: ModelCaller;
}

/**
 * Why an instance was restarted: its execution overran the model's `execution_timeout_ms`
 * (`timeout`), it went over its `memory_limit_mb` (`memory`), or its worker died (`crash`).
 */
export type InstanceRestartReason = 'timeout' | 'memory' | 'crash';

/** A request as a backend sees it: validated against the config, outputs resolved. */
export interface ExecutionRequest {
  /** Client request id ('' if none). */
  readonly id: string;
  /** Input tensors, shapes including the batch dimension when the model batches. */
  readonly inputs: readonly Tensor[];
  /** Names of the outputs to produce (never empty: all outputs when the client named none). */
  readonly requestedOutputs: readonly string[];
  /** Request parameters. */
  readonly parameters: Parameters;
  /** Leading batch dimension (1 when the model does not batch). */
  readonly batchSize: number;
  /** Where responses go. */
  readonly sender: ResponseSender;
  /** Aborted when the client cancels or disconnects. */
  readonly signal: CancelSignal;
  /**
   * True when the backend may take the ArrayBuffers behind `inputs` (transfer them to a worker,
   * leaving the views detached): nothing else reads them after this call.
   */
  readonly inputBuffersOwned?: boolean;
  /**
   * The request's trace when it is traced: a backend that makes requests of other models for it
   * (ensemble steps, BLS calls) gives each a `trace.child()`.
   */
  readonly trace?: RequestTrace | undefined;
}

/** One response from a backend. */
export interface BackendResponse {
  readonly outputs: readonly Tensor[];
  readonly parameters?: Parameters;
  /** Set when the model failed this request; outputs are then ignored. */
  readonly error?: InferenceError;
  /**
   * True when nothing else holds the ArrayBuffers behind `outputs` that a tensor spans whole, so
   * whoever consumes the response may move them to another thread instead of copying (a model
   * calling this one, BLS). Leave unset when an output's buffer may be shared.
   */
  readonly outputBuffersOwned?: boolean;
}

/**
 * Sends responses for one request. Non-decoupled models call it exactly once with
 * `final: true`; decoupled models call it any number of times and end with `final: true`
 * (possibly with no response: a bare final flag).
 */
export interface ResponseSender {
  send(response: BackendResponse | undefined, flags: { final: boolean }): void;
}

/** Time spent in one execution, nanoseconds, for statistics. */
export interface ExecutionTimings {
  /**
   * Time the batch waited inside the instance before it started (an instance that accepts work
   * ahead queues it); added to the requests' queue time.
   */
  readonly queueNs?: number;
  readonly computeInputNs: number;
  readonly computeInferNs: number;
  readonly computeOutputNs: number;
}

/** One model instance (one worker). Executes one batch at a time. */
export interface ModelInstance {
  /** e.g. `simple_0_0` as Triton names instances. */
  readonly name: string;
  /**
   * How many batches the scheduler may hand this instance before earlier ones complete (default 1).
   * The instance still executes them one at a time, in order; accepting the next one early hides
   * the hand-over latency (e.g. a worker-thread message) between executions.
   */
  readonly concurrency?: number;
  /**
   * Executes a batch. Resolves when the execution is over (for non-decoupled models, once every
   * request has had its final response). A backend failure that affects the whole batch rejects
   * with an InferenceError; the core then fails the requests that have no final response yet.
   */
  execute(batch: readonly ExecutionRequest[]): Promise<ExecutionTimings>;
  /**
   * Why the instance cannot take work now (e.g. it is restarting after a crash, and when it tries
   * again), as an UNAVAILABLE error; undefined while it can. Schedulers route around an
   * unavailable instance and answer at once when no instance of the model is available, rather
   * than queueing requests behind a restart back-off. Absent: always available.
   */
  unavailable?(): InferenceError | undefined;
  /**
   * Registers `listener`, called whenever {@link unavailable} changes between undefined and an
   * error (the scheduler of the version subscribes once). Required with {@link unavailable}.
   */
  onAvailabilityChange?(listener: () => void): void;
}

/** A loaded model version. */
export interface BackendModel {
  readonly instances: readonly ModelInstance[];
  /**
   * For a decoupled model: true when it answers this request with exactly one response (e.g. an
   * LLM request with `stream` false), so unary APIs (gRPC ModelInfer, HTTP infer) may serve it.
   * Absent or false: unary APIs refuse the decoupled model, as Triton does.
   */
  acceptsUnary?(inputs: readonly Tensor[]): boolean;
  /** Finalizes the model and stops its workers. */
  unload(): Promise<void>;
}

/** Whether a backend can place instances on GPUs right now (see {@link Backend.gpuSupport}). */
export interface GpuSupport {
  readonly available: boolean;
  /** Why not, when unavailable, and how to fix it; quoted in load errors. */
  readonly reason?: string;
}

/** A backend: a factory of loaded models. */
export interface Backend {
  /** Name used in config `backend:` (e.g. `js`). */
  readonly name: string;
  /** Config `platform:` values this backend also serves (e.g. `onnxruntime_onnx`). */
  readonly platforms?: readonly string[];
  /**
   * The config fields this backend implements beyond the core's, and the `parameters` keys it
   * reads: the core refuses the rest at load, naming them (see docs/model-config.md). Absent: no
   * backend-specific field and no parameter key is accepted.
   */
  readonly configSupport?: BackendConfigSupport;
  /**
   * Fills what the config leaves out from the model files (inputs, outputs, max_batch_size).
   * Called before normalization when auto-complete is on.
   */
  autoCompleteConfig?(
    ctx: Omit<BackendModelContext, 'config'> & { config: Partial<ModelConfig> },
  ): Promise<Partial<ModelConfig>>;
  /**
   * Whether this backend can run instances on GPUs now (the onnxruntime backend: only when its
   * CUDA provider is installed). The core offers the host's GPUs to config normalization only when
   * this says available, so `KIND_AUTO` becomes `KIND_GPU` only where a GPU can really be used, and
   * a `KIND_GPU` group fails with `reason`. A backend without this member runs on CPU only.
   */
  gpuSupport?(): GpuSupport;
  /** Loads a model version and starts its instances. */
  loadModel(ctx: BackendModelContext): Promise<BackendModel>;
  /**
   * Does once, before the server accepts requests, what would otherwise block the event loop at a
   * model's first load (e.g. loading a native runtime). Called only when models may load while
   * serving (explicit and poll control modes).
   */
  prepare?(): Promise<void>;
}
