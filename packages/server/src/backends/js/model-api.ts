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
  /** Input tensors in the order the client sent them. */
  readonly inputs: readonly JsInputTensor[];
  /** The input named `name`; throws when the request has no such input (an optional input). */
  input(name: string): JsInputTensor;
  /** The input named `name`, or undefined when absent. */
  findInput(name: string): JsInputTensor | undefined;
  /** Request parameters sent by the client. */
  readonly parameters: Parameters;
  /** The outputs the client asked for (all outputs of the config when it named none). */
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
 * A failed response: the request fails with this message. The code defaults to INTERNAL, as
 * Triton's Python backend does for `TritonError`; use INVALID_ARG for bad client input.
 */
export interface JsModelFailure {
  error: string | Error;
  code?: ErrorCode;
}

/** What a model answers for one request. An `Error` object is the same as `{ error }`. */
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
