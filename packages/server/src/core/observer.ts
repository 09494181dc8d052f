/**
 * Events the core reports once per request and once per execution, for every protocol. The
 * metrics frontend turns them into Prometheus series; statistics are kept by the core itself.
 */

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
}

/** One model execution (one batch on one instance). */
export interface ExecutionEvent {
  model: string;
  version: string;
  batchSize: number;
}

/** Receives core events. Implementations must be cheap and must not throw. */
export interface InferenceObserver {
  onRequest?(event: RequestEvent): void;
  onExecution?(event: ExecutionEvent): void;
  /** Called when the number of queued + executing requests of a model changes. */
  onPending?(model: string, version: string, pending: number): void;
  /** A model version became ready to serve (first load or reload). */
  onVersionReady?(model: string, version: string): void;
  /** A model version stopped serving for good (unloaded, removed, or dropped by a new policy). */
  onVersionUnloaded?(model: string, version: string): void;
}
