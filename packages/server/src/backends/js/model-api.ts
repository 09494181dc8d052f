/**
 * The public API of JavaScript models served by the `js` backend (tensorgate's counterpart of
 * Triton's Python backend). A model is an ES module in `<model>/<version>/model.js` that exports a
 * class; the server creates one object of it per model instance, inside that instance's worker
 * thread, and calls `initialize`, `execute` and `finalize` on it.
 *
 * These are types only: model files import nothing from tensorgate at run time, so they stay plain
 * `.js` files. TypeScript (or JSDoc-typed JavaScript) models can import the types to be checked:
 *
 * @example
 * ```ts
 * // The server package re-exports these types (see backends/js/index.ts).
 * import type { JsModel, JsModelRequest, JsModelResponse } from 'tensorgate';
 *
 * export default class AddSub implements JsModel {
 *   execute(requests: JsModelRequest[]): JsModelResponse[] {
 *     return requests.map((r) => {
 *       const a = r.input('INPUT0').data as Int32Array;
 *       const b = r.input('INPUT1').data as Int32Array;
 *       return { outputs: [{ name: 'OUTPUT0', data: a.map((x, i) => x + b[i]!) }] };
 *     });
 *   }
 * }
 * ```
 *
 * See docs/js-backend.md for the full guide.
 */
import type { DataType, TypedArray } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import type { ErrorCode } from '../../core/errors.js';
import type { Parameters } from '../../core/types.js';

/**
 * The data of an input tensor: a typed array over the raw little-endian elements for numeric
 * types (BigInt64Array / BigUint64Array for 64-bit integers, Uint8Array of 0/1 for BOOL,
 * Uint16Array of raw bit patterns for FP16 and BF16), or one Uint8Array per element for BYTES.
 */
export type JsTensorData = TypedArray | Uint8Array[];

/** One input tensor as a model sees it. */
export interface JsInputTensor {
  /** Input name from the config. */
  readonly name: string;
  /** Wire datatype, e.g. `INT32`, `BYTES`. */
  readonly datatype: DataType;
  /** Full shape, including the batch dimension when the model batches. */
  readonly shape: readonly number[];
  /** The elements; see {@link JsTensorData}. Owned by the model: it may keep or modify them. */
  readonly data: JsTensorData;
  /** The raw little-endian bytes (BYTES: 4-byte length-prefixed elements). */
  readonly raw: Uint8Array;
  /** BYTES elements decoded as UTF-8 strings. Throws for other datatypes. */
  strings(): string[];
  /**
   * Elements as plain JS values: numbers (64-bit integers rounded to the nearest number, FP16 and
   * BF16 converted), booleans for BOOL, UTF-8 strings for BYTES. Copies; for convenience only.
   */
  toArray(): Array<number | boolean | string>;
}

/** One request in the list passed to `execute`. */
export interface JsModelRequest {
  /** The client's request id ('' when none). */
  readonly id: string;
  /**
   * Input tensors in the order the client sent them, then those the server adds: sequence control
   * inputs and implicit state inputs (`sequence_batching.state`: the sequence's state, whose next
   * value the model returns as the state's output; see docs/js-backend.md).
   */
  readonly inputs: readonly JsInputTensor[];
  /** The input named `name`; throws when the request has no such input (an optional input). */
  input(name: string): JsInputTensor;
  /** The input named `name`, or undefined when absent. */
  findInput(name: string): JsInputTensor | undefined;
  /** Request parameters sent by the client. */
  readonly parameters: Parameters;
  /**
   * The outputs the client asked for (all outputs of the config when it named none), plus the
   * implicit state outputs of a model with `sequence_batching.state`.
   */
  readonly requestedOutputNames: readonly string[];
  /** Leading batch dimension of the inputs (1 when the model does not batch). */
  readonly batchSize: number;
  /** True once the client cancelled the request or disconnected. */
  isCancelled(): boolean;
  /** Aborted when the request is cancelled: pass it to timers, fetch, etc. */
  readonly signal: AbortSignal;
  /**
   * The sender of a decoupled model (`model_transaction_policy { decoupled: true }`). Throws for
   * a model that is not decoupled: those return their responses from `execute`.
   */
  getResponseSender(): JsResponseSender;
  /**
   * Calls other models on behalf of this request (Business Logic Scripting): its calls are
   * cancelled when this request is (client cancelled, disconnected, deadline). See
   * {@link JsModelCaller}.
   */
  readonly models: JsModelCaller;
}

/**
 * Output tensor data a model may return: a typed array (of the datatype's own array class it is
 * taken as raw elements without conversion; any other typed array is converted element by
 * element), an array of numbers / bigints / booleans, or for BYTES an array of strings
 * (UTF-8 encoded) or Uint8Arrays.
 */
export type JsOutputData =
  | TypedArray
  | readonly number[]
  | readonly bigint[]
  | readonly boolean[]
  | readonly string[]
  | readonly Uint8Array[]
  | readonly (string | Uint8Array)[];

/** One output tensor of a response. */
export interface JsOutputTensor {
  /** Output name from the config. */
  name: string;
  /** Defaults to the config's datatype for this output; when given it must equal it. */
  datatype?: DataType;
  /**
   * Defaults to the config dims (with the request's batch size in front when the model batches),
   * a single -1 dim being inferred from the element count. Required when the config has more than
   * one variable dim.
   */
  shape?: readonly number[];
  /** The elements, row-major. */
  data: JsOutputData;
}

/** A successful response. */
export interface JsModelSuccess {
  outputs: readonly JsOutputTensor[];
  /** Response parameters returned to the client. */
  parameters?: Parameters;
}

/**
 * A failed response: the request fails with this message. The code defaults to INTERNAL (or the
 * `code` of an `error` object that has a valid one, such as a {@link JsInferError}), as Triton's
 * Python backend does for `TritonError`; use INVALID_ARG for bad client input.
 */
export interface JsModelFailure {
  error: string | Error;
  code?: ErrorCode;
}

/**
 * What a model answers for one request. An `Error` object is the same as `{ error }` (its `code`
 * kept when it is one of the server's error codes, as a {@link JsInferError}'s is).
 */
export type JsModelResponse = JsModelSuccess | JsModelFailure | Error;

/** Sends the responses of one request of a decoupled model. */
export interface JsResponseSender {
  /**
   * Sends a response and/or the final flag. Call it any number of times; the last call passes
   * `{ final: true }`, with or without a response (a bare final flag ends the stream).
   * Throws when the request is already complete.
   */
  send(response?: JsModelResponse, flags?: { final?: boolean }): void;
}

/** A logger bound to the model instance; lines reach the server log (pino). */
export interface JsModelLogger {
  debug(msg: string, obj?: Record<string, unknown>): void;
  info(msg: string, obj?: Record<string, unknown>): void;
  warn(msg: string, obj?: Record<string, unknown>): void;
  error(msg: string, obj?: Record<string, unknown>): void;
}

/** Arguments of `initialize`, named like Triton's Python backend `args` (config as an object). */
export interface JsModelInitArgs {
  readonly model_name: string;
  readonly model_version: string;
  /** The normalized model config. */
  readonly model_config: ModelConfig;
  /** `<repository>/<model>` directory (Triton passes the same). */
  readonly model_repository: string;
  /** e.g. `simple_0` (or `simple_0_1` when the group has several instances). */
  readonly model_instance_name: string;
  /**
   * Always `CPU` for JS models. The onnxruntime backend, which runs its built-in model through
   * the same workers, also passes `GPU` for instances on the CUDA execution provider.
   */
  readonly model_instance_kind: 'CPU' | 'GPU';
  /** Always 0 for CPU instances; the GPU id for GPU instances. */
  readonly model_instance_device_id: number;
  /** The directory that holds the model file, `<repository>/<model>/<version>`. */
  readonly model_version_path: string;
  readonly logger: JsModelLogger;
  /**
   * Calls other models, not on behalf of one request (e.g. one call for a whole batch): pass
   * `signal` to cancel such a call. Inside `execute`, `request.models` ties a call to its request.
   */
  readonly models: JsModelCaller;
}

/**
 * An input of a call to another model. An input tensor of a request (or an output of an earlier
 * call) is one already: pass it as it is, or `{ ...tensor, name: 'OTHER' }` to rename it.
 */
export interface JsInferInput {
  /** The callee's input name. */
  readonly name: string;
  /** Wire datatype, e.g. `INT32`, `FP32`, `BYTES`. */
  readonly datatype: DataType;
  /** Full shape, with the batch dimension when the callee batches; default `[element count]`. */
  readonly shape?: readonly number[];
  /** The elements, as an output's `data` (see {@link JsOutputData}). Ignored when `raw` is given. */
  readonly data?: JsOutputData | JsTensorData;
  /** Raw little-endian bytes (BYTES: 4-byte length-prefixed elements), sent as they are. */
  readonly raw?: Uint8Array;
}

/** A call to another model: Triton's `pb_utils.InferenceRequest` arguments. */
export interface JsInferOptions {
  /** The model to call (`model_name`). */
  readonly model: string;
  /** A version (`model_version`); absent, `''` or `-1`: as the model's version policy picks. */
  readonly version?: string | number;
  /** The inputs (`inputs`). */
  readonly inputs: readonly JsInferInput[];
  /** The outputs wanted (`requested_output_names`); absent or empty: all of them. */
  readonly outputs?: readonly string[];
  /** Request parameters, Triton's reserved ones (`priority`, `timeout` in µs) included. */
  readonly parameters?: Parameters;
  /** The request id the callee sees (`request_id`); default `''`. */
  readonly id?: string;
  /**
   * Milliseconds after which the call is cancelled and answers DEADLINE_EXCEEDED, counted from
   * the call to its last response. Default: the calling model's `execution_timeout_ms` (60000
   * unless its config says otherwise); `0`: no timeout.
   */
  readonly timeoutMs?: number;
  /** Cancels the call when it aborts (the call then answers CANCELLED). */
  readonly signal?: AbortSignal;
}

/** What went wrong with a call: an `Error` with the server's error code. */
export interface JsInferError extends Error {
  /** Triton's error code, e.g. `NOT_FOUND`, `INVALID_ARG`, `DEADLINE_EXCEEDED`. */
  readonly code: ErrorCode;
}

/**
 * A response of a called model. A failed call is a response too, with `error` set and no outputs:
 * calls never reject for what the server answers (only for malformed options, a bug in the model).
 */
export interface JsInferResponse {
  /** The model that answered. */
  readonly model: string;
  /** The version that answered (`''` when the call failed before one was chosen). */
  readonly version: string;
  /** The request id of the call. */
  readonly id: string;
  /** The outputs, as input tensors are seen (typed-array `data`, `strings()`, `toArray()`). */
  readonly outputs: readonly JsInputTensor[];
  /** The output named `name`; throws when the response has none (check `error` first). */
  output(name: string): JsInputTensor;
  /** The output named `name`, or undefined. */
  findOutput(name: string): JsInputTensor | undefined;
  /** Response parameters. */
  readonly parameters: Parameters;
  /**
   * Set when the call failed (unknown model, bad input, the callee failed, timeout, cancelled).
   * Returning it from `execute` (or `{ error: response.error }`) fails the request with its code.
   */
  readonly error: JsInferError | undefined;
  /** True on the last response of the call (always, for {@link JsModelCaller.infer}). */
  readonly final: boolean;
}

/**
 * Calls other models served by this server (Triton's Business Logic Scripting), through the
 * server's core: the callee's version policy, validation, scheduler and dynamic batcher, and
 * statistics apply as for a client's request, without any network.
 */
export interface JsModelCaller {
  /** One request, one response (Triton's `exec()` / `async_exec()`). Never rejects for a server error. */
  infer(options: JsInferOptions): Promise<JsInferResponse>;
  /**
   * The responses of a decoupled model, as they come (Triton's `exec(decoupled=True)`); the
   * iteration ends after the final one. Leaving the loop early cancels the call. An error that
   * ends the call is yielded as a last response with `error` set, never thrown.
   */
  stream(options: JsInferOptions): AsyncIterableIterator<JsInferResponse>;
}

/**
 * The shape of a model class. `execute` returns one response per request, in order, for
 * non-decoupled models, and nothing for decoupled ones (they answer through senders).
 */
export interface JsModel {
  initialize?(args: JsModelInitArgs): void | Promise<void>;
  execute(requests: JsModelRequest[]): JsModelResponse[] | void | Promise<JsModelResponse[] | void>;
  finalize?(): void | Promise<void>;
}
