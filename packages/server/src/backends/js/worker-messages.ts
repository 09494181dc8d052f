/**
 * The typed message protocol between a js-backend instance (main thread) and its worker thread.
 * Tensor bytes travel as Uint8Arrays over ArrayBuffers listed in the postMessage transfer list,
 * so they move between threads without being copied; everything else is small structured-clone
 * data. Both sides import only these types, which keeps the two halves in step.
 */
import type { DataType } from '@tensorgate/protocol';
import type { ErrorCode } from '../../core/errors.js';
import type { Parameters } from '../../core/types.js';
import type { JsModelInitArgs } from './model-api.js';

/** A tensor crossing threads: raw little-endian bytes (BYTES: length-prefixed elements). */
export interface WireTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  /** A view over an ArrayBuffer that is transferred with the message. */
  readonly data: Uint8Array;
}

/** A request sent to the worker. */
export interface WireRequest {
  /** Instance-unique key that the worker's responses refer to. */
  readonly key: number;
  readonly id: string;
  readonly inputs: readonly WireTensor[];
  readonly requestedOutputs: readonly string[];
  readonly parameters: Parameters;
  readonly batchSize: number;
  /** True when the request was cancelled before it reached the worker. */
  readonly cancelled: boolean;
}

/** A response from the worker: outputs already encoded to raw bytes, or an error. */
export type WireResponse =
  | { readonly outputs: readonly WireTensor[]; readonly parameters?: Parameters }
  | { readonly error: string; readonly code: ErrorCode };

/** What the worker receives as `workerData`. */
export interface WorkerInit {
  /** Absolute path of the model file. */
  readonly modelFile: string;
  /** True for decoupled models (responses through senders). */
  readonly decoupled: boolean;
  /** `initialize` arguments, less the logger the worker builds itself. */
  readonly args: Omit<JsModelInitArgs, 'logger'>;
}

/** Main thread → worker. */
export type MainToWorker =
  | { readonly type: 'execute'; readonly execId: number; readonly requests: readonly WireRequest[] }
  | { readonly type: 'cancel'; readonly key: number }
  | { readonly type: 'finalize' };

/** Log levels a model logger forwards. */
export type WorkerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Worker → main thread. */
export type WorkerToMain =
  | { readonly type: 'ready' }
  /** Loading failed; `code` distinguishes a bad model file from a failing `initialize`. */
  | { readonly type: 'init-error'; readonly code: ErrorCode; readonly message: string }
  | {
      readonly type: 'log';
      readonly level: WorkerLogLevel;
      readonly msg: string;
      readonly obj?: Record<string, unknown>;
    }
  /** A decoupled model's send(). */
  | {
      readonly type: 'response';
      readonly key: number;
      readonly response?: WireResponse;
      readonly final: boolean;
      /** Time spent encoding this response's outputs. */
      readonly outputNs: number;
    }
  /**
   * `execute` returned (or threw). Non-decoupled models carry one response per request, in
   * order; `error` set means execute threw or answered malformed, failing every request of the
   * call that has no final response yet.
   */
  | {
      readonly type: 'executed';
      readonly execId: number;
      readonly responses?: readonly WireResponse[];
      readonly error?: string;
      readonly inputNs: number;
      readonly inferNs: number;
      readonly outputNs: number;
    }
  | { readonly type: 'finalized'; readonly error?: string };
