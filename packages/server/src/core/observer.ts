/**
 * Events the core reports once per request and once per execution, for every protocol. The
 * metrics frontend turns them into Prometheus series; statistics are kept by the core itself.
 * Decoupled models (any number of responses per request, e.g. LLMs) also report each response and
 * their queued/executing counts; other models never pay for those events.
 */
import type { InstanceRestartReason } from '../backend-api/backend.js';
import type { Parameters } from './types.js';

export type { InstanceRestartReason } from '../backend-api/backend.js';

/** Why a request failed, as Triton's `nv_inference_request_failure{reason}` label says. */
export type FailureReason = 'REJECTED' | 'CANCELED' | 'BACKEND' | 'OTHER';

/** One finished request (success or failure). Durations are nanoseconds. */
export interface RequestEvent {
  model: string;
  version: string;
  success: boolean;
  reason?: FailureReason;
  /** Batch size the request contributed (1 for non-batching models). */
  batchSize: number;
  /** From arrival in the core to the final response. */
  requestNs: number;
  queueNs: number;
  computeInputNs: number;
  computeInferNs: number;
  computeOutputNs: number;
  /**
   * From arrival in the core to the first response delivered (the only one, for a model that is
   * not decoupled); absent for a failed request or one that got no response.
   */
  firstResponseNs?: number;
}

/** One model execution (one batch on one instance). */
export interface ExecutionEvent {
  model: string;
  version: string;
  batchSize: number;
}

/** What kind of model a version is, for observers that report some models differently. */
export interface VersionInfo {
  /** The model may send any number of responses per request. */
  decoupled: boolean;
  /** The model implements the LLM contract (see `llm-contract.ts`). */
  llm: boolean;
}

/**
 * One response of a decoupled model's request, as the core hands it to the frontend (bare final
 * flags included; non-final error responses excluded). Durations are nanoseconds.
 */
export interface ResponseEvent {
  model: string;
  version: string;
  /** The model implements the LLM contract. */
  llm: boolean;
  /**
   * The response carries output data: false for a bare or parameters-only final, and for outputs
   * that are empty or hold only empty strings (an LLM's empty final text after streamed tokens).
   */
  hasOutputs: boolean;
  /** The last response of the request. */
  final: boolean;
  /** From the request's arrival in the core to this response. */
  sinceArrivalNs: number;
  /**
   * From the previous response with outputs to this one (the inter-chunk gap); -1 when this
   * response has no outputs or is the first with outputs.
   */
  sincePreviousNs: number;
  /** The response parameters (an LLM's final response: finish reason and token counts). */
  parameters: Parameters;
}

/** A model instance's worker was replaced (terminated by a limit, or died) and is being restarted. */
export interface InstanceRestartEvent {
  model: string;
  version: string;
  /** The instance name, e.g. `simple_0`. */
  instance: string;
  reason: InstanceRestartReason;
}

/**
 * One response-cache lookup of a model with `response_cache { enable: true }`: a hit (`ns`: the
 * lookup) or a successful miss (`ns`: the lookup plus the insertion), as Triton's `nv_cache_*`.
 */
export interface CacheEvent {
  model: string;
  version: string;
  hit: boolean;
  ns: number;
}

/** Receives core events. Implementations must be cheap and must not throw. */
export interface InferenceObserver {
  onRequest?(event: RequestEvent): void;
  onExecution?(event: ExecutionEvent): void;
  /** A response-cache hit or (successful) miss. */
  onCache?(event: CacheEvent): void;
  /** Called when the number of queued + executing requests of a model changes. */
  onPending?(model: string, version: string, pending: number): void;
  /**
   * Decoupled models only: requests of the version waiting in the scheduler queue (`waiting`) and
   * handed to an instance but not finished (`running`) changed.
   */
  onRunning?(model: string, version: string, info: { llm: boolean; running: number; waiting: number }): void;
  /** Decoupled models only: one response of a request was delivered to the frontend. */
  onResponse?(event: ResponseEvent): void;
  /** A model version became ready to serve (first load or reload). */
  onVersionReady?(model: string, version: string, info?: VersionInfo): void;
  /** A model instance is being restarted (rare: never on the per-request path). */
  onInstanceRestart?(event: InstanceRestartEvent): void;
  /** A model version stopped serving for good (unloaded, removed, or dropped by a new policy). */
  onVersionUnloaded?(model: string, version: string): void;
}
