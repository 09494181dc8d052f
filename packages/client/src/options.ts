/**
 * Options shared by both transports: per-call options, inference options and the client options
 * common to the gRPC and HTTP clients. Transport-specific options extend these in
 * `grpc/grpc-options.ts` and `http/http-options.ts`.
 */
import type { InferRequestedOutput } from './infer-requested-output.js';
import type { RetryOptions } from './retry.js';

/** A request or output parameter value, as the protocol allows (string, number or boolean). */
export type ParameterValue = string | number | boolean;

/** Named parameters. Integers are sent as int64 over gRPC, other numbers as double. */
export type Parameters = Readonly<Record<string, ParameterValue>>;

/** A model version: a number or its decimal string. Omitted means "the server chooses". */
export type ModelVersion = string | number;

/** Options every client method takes. */
export interface CallOptions {
  /**
   * Time limit of the whole call in milliseconds, retries included. On expiry the call fails with
   * DEADLINE_EXCEEDED; over gRPC the deadline also reaches the server, which cancels the request.
   */
  readonly timeoutMs?: number;
  /** Aborting it cancels the call, which then fails with CANCELLED. */
  readonly signal?: AbortSignal;
  /** Extra headers (HTTP) or metadata (gRPC) for this call, added to the client's own. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Overrides the client's retry options for this call. */
  readonly retry?: RetryOptions;
  /** Overrides the client's `waitForReady` for this call. */
  readonly waitForReady?: boolean;
}

/** Options of {@link InferenceClient.infer} (and of each request of a gRPC stream). */
export interface InferOptions extends CallOptions {
  /** The model version; omitted, the server picks (normally the highest ready one). */
  readonly modelVersion?: ModelVersion;
  /** Request id, echoed in the result and carried by any error ('' or omitted: none). */
  readonly requestId?: string;
  /** Outputs to return, with per-output options; omitted, every output is returned. */
  readonly outputs?: readonly InferRequestedOutput[];
  /** Request priority (Triton's `priority` parameter; 0 = the model's default). */
  readonly priority?: number;
  /**
   * Server-side queue timeout in microseconds (Triton's `timeout` request parameter): a request
   * still queued after this long is rejected by the server. Unlike `timeoutMs` it is not a client
   * deadline and only takes effect when the model's scheduler allows it.
   */
  readonly serverTimeoutUs?: number;
  /** Sequence (stateful model) id; a number or a string id. */
  readonly sequenceId?: number | string;
  /** Marks the first request of a sequence. */
  readonly sequenceStart?: boolean;
  /** Marks the last request of a sequence. */
  readonly sequenceEnd?: boolean;
  /** Any other request parameters (names starting with `triton_` are reserved). */
  readonly parameters?: Parameters;
}

/** Options of {@link InferenceClient.getModelRepositoryIndex}. */
export interface RepositoryIndexOptions extends CallOptions {
  /** List only models that are ready (default false: every model in the repository). */
  readonly readyOnly?: boolean;
}

/** Options of {@link InferenceClient.loadModel}. */
export interface LoadModelOptions extends CallOptions {
  /**
   * A model configuration that replaces config.pbtxt for this load: a JSON string or an object
   * (serialized with JSON.stringify), as Triton's `config` load parameter.
   */
  readonly config?: string | Readonly<Record<string, unknown>>;
}

/** Options of {@link InferenceClient.unloadModel}. */
export interface UnloadModelOptions extends CallOptions {
  /** Also unload the models this one depends on (Triton's `unload_dependents`). */
  readonly unloadDependents?: boolean;
}

/** Options both client constructors take. */
export interface ClientOptions {
  /** Headers (HTTP) or metadata (gRPC) sent with every call. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default time limit of every call in milliseconds (none by default). */
  readonly timeoutMs?: number;
  /** Retry policy of every call (retries are off by default, apart from transparent retries). */
  readonly retry?: RetryOptions;
  /**
   * gRPC's wait-for-ready: while no server can be reached, a call waits (until its deadline or
   * abort) for one to come up instead of failing with UNAVAILABLE. Over gRPC this is
   * grpc-js' own; over HTTP, failures that made no connection are retried with backoff until the
   * deadline, without counting against `retry.maxAttempts`. Default false. Give calls a
   * `timeoutMs` when it is on, or they may wait forever.
   */
  readonly waitForReady?: boolean;
}
