/**
 * The typed message protocol between a js-backend instance (main thread) and its worker thread.
 * Requests and responses travel in flat packets (wire-packet.ts, wire-codec.ts) whose tensor
 * bytes sit in transferred ArrayBuffers; these are the shapes the two sides decode them into,
 * plus the few lifecycle messages. Both sides import only these types, which keeps the two
 * halves in step.
 */
import type { DataType } from '@tensorgate/protocol';
import type { ErrorCode } from '../../core/errors.js';
import type { Parameters } from '../../core/types.js';
import type { JsModelInitArgs } from './model-api.js';
import type { Packet } from './wire-packet.js';

/** A tensor crossing threads: raw little-endian bytes (BYTES: length-prefixed elements). */
export interface WireTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  /** A view over an ArrayBuffer transferred with the packet (possibly shared with other tensors). */
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

/** A model's call to another model (BLS), as it crosses to the main thread. */
export interface WireCall {
  /** Worker-unique id that the main thread's answers refer to. */
  readonly callId: number;
  /** The key of the request the call is made for (cancelled with it); 0: none. */
  readonly parentKey: number;
  /** True when the caller iterates responses (a decoupled callee); false: exactly one. */
  readonly stream: boolean;
  readonly model: string;
  /** '' for the version policy's choice. */
  readonly version: string;
  readonly id: string;
  /** Milliseconds; -1: the calling model's default (its `execution_timeout_ms`); 0: none. */
  readonly timeoutMs: number;
  readonly inputs: readonly WireTensor[];
  /** Requested output names; empty: all. */
  readonly outputs: readonly string[];
  readonly parameters: Parameters;
}

/** What the worker receives as `workerData`. */
export interface WorkerInit {
  /** Absolute path of the model file. */
  readonly modelFile: string;
  /** True for decoupled models (responses through senders). */
  readonly decoupled: boolean;
  /** `initialize` arguments, less the logger and model caller the worker builds itself. */
  readonly args: Omit<JsModelInitArgs, 'logger' | 'models'>;
  /**
   * Shared with the instance on the main thread (over a SharedArrayBuffer, one per worker): slot 0
   * counts every execution that returned and every response sent (the execution watchdog's
   * progress), slot 1 is the native-call guard (native-guard.ts), slot 2 the heartbeat the worker
   * bumps every {@link WorkerInit.heartbeatMs} while its model waits on calls to other models.
   */
  readonly shared?: Int32Array;
  /** The heartbeat period while calls are in flight (the watchdog's sweep period); 0: none. */
  readonly heartbeatMs?: number;
}

/** Main thread → worker: hot-path packets (execute, cancel ops) and the final finalize. */
export type MainToWorker = Packet | { readonly type: 'finalize' };

/** Log levels a model logger forwards. */
export type WorkerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Worker → main thread: hot-path packets (response, executed, log ops) and lifecycle messages. */
export type WorkerToMain =
  | Packet
  | { readonly type: 'ready' }
  /** Loading failed; `code` distinguishes a bad model file from a failing `initialize`. */
  | { readonly type: 'init-error'; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'finalized'; readonly error?: string };
