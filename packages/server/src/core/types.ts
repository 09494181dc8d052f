/**
 * Protocol-neutral request, response and tensor types. Frontends decode their wire format into
 * these, the core validates and schedules them, backends answer with them.
 *
 * Tensor data is always raw little-endian bytes: exactly what gRPC `raw_input_contents` and the
 * HTTP binary extension carry, and what crosses to worker threads as a transferred ArrayBuffer.
 * BYTES tensors hold their elements each as a 4-byte little-endian length followed by the bytes.
 */
import type { CancelSignal } from './cancel-signal.js';
import type { DataType } from '@tensorgate/protocol';
import type { InferenceError } from './errors.js';
import type { RequestTrace } from './trace/request-trace.js';

/** A request, response or tensor parameter value (Triton's InferParameter oneof). */
export type ParameterValue = string | number | boolean;

/** Named parameters. */
export type Parameters = Record<string, ParameterValue>;

/** A tensor with its raw little-endian bytes. */
export interface Tensor {
  readonly name: string;
  readonly datatype: DataType;
  /** Full shape, including the batch dimension when the model batches. */
  readonly shape: readonly number[];
  /** Raw bytes; for BYTES, length-prefixed elements. */
  readonly data: Uint8Array;
  /** Tensor parameters (e.g. `binary_data_size` already consumed by the frontend). */
  readonly parameters?: Parameters;
}

/** An output the client asked for; an empty list in the request means "all outputs". */
export interface RequestedOutput {
  readonly name: string;
  /** e.g. `binary_data` (HTTP), `classification` (top-N). */
  readonly parameters: Parameters;
}

/** A decoded inference request, before validation. */
export interface InferRequest {
  readonly modelName: string;
  /** Requested version as a string; '' selects by the model's version policy (highest ready). */
  readonly modelVersion: string;
  /** Client-supplied request id, echoed in responses ('' when none). */
  readonly id: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly RequestedOutput[];
  /** Request parameters, including Triton's reserved ones (sequence_id, priority, timeout, ...). */
  readonly parameters: Parameters;
}

/** One response. Non-decoupled models produce exactly one, with `final: true`. */
export interface InferResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly outputs: readonly Tensor[];
  readonly parameters: Parameters;
  /** True on the last response of the request. */
  readonly final: boolean;
  /**
   * True when this is a bare "final" marker with no outputs (a decoupled model that flagged
   * completion without a response). gRPC streams send it only when the request enabled
   * `triton_enable_empty_final_response`.
   */
  readonly emptyFinal?: boolean;
  /**
   * Set on a decoupled model's error response that is not its last: the request goes on (more
   * responses and the final flag follow), as in Triton. Streaming frontends report it (gRPC:
   * `error_message`) and keep reading. A failure that ends the request is thrown instead.
   */
  readonly error?: InferenceError;
  /**
   * The backend's `BackendResponse.outputBuffersOwned`, passed through: an output that spans its
   * whole ArrayBuffer may be moved (transferred) by the consumer instead of copied.
   */
  readonly outputBuffersOwned?: boolean;
}

/** Per-call context carried from the frontend through the core to the backend. */
export interface RequestContext {
  /** Aborted when the client disconnects, cancels, or the deadline passes. */
  readonly signal: CancelSignal;
  /** Protocol the request arrived on, for logs and metrics. */
  readonly protocol: 'http' | 'grpc' | 'internal';
  /**
   * When false the model must answer with exactly one response (unary HTTP /infer and gRPC
   * ModelInfer); a decoupled model is then rejected with a clear UNSUPPORTED error.
   */
  readonly allowDecoupled: boolean;
  /**
   * True when the frontend decoded the inputs into buffers nothing else uses (gRPC: grpc-js
   * reassembles each large message into a buffer of its own), so a backend may move them to another
   * thread instead of copying. Leave it unset when input data may be shared (e.g. caller-owned).
   */
  readonly inputBuffersOwned?: boolean;
  /**
   * Called exactly once, for a request whose response stream was read (`next()`), when it is over
   * and its statistics are recorded: with its compute durations when it succeeded, undefined when
   * it failed (also when it was refused before it started). Triton's secondary statistics
   * aggregator: an ensemble adds its steps' compute times to its own, and knows when each step is
   * really done (a final response can come before the execution that sent it has ended).
   */
  readonly onComplete?: (durations: ComputeDurations | undefined) => void;
  /**
   * The request's trace, when it is traced (`--trace-config`, the trace extension): the frontend
   * that sampled it records its protocol timestamps and releases it once the response is sent;
   * the core records REQUEST_START ... REQUEST_END (and tensors) into it. A composing model's
   * request (ensemble step, BLS call) carries a child of its caller's trace, which the core
   * releases when that request is over.
   */
  readonly trace?: RequestTrace | undefined;
}

/** Compute durations of one request, nanoseconds (see {@link RequestContext.onComplete}). */
export interface ComputeDurations {
  readonly computeInputNs: number;
  readonly computeInferNs: number;
  readonly computeOutputNs: number;
}
