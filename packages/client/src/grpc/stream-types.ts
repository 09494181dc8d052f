/**
 * Request and response types of the gRPC bidirectional stream (`ModelStreamInfer`).
 */
import type { InferenceServerError } from '../errors.js';
import type { InferInput } from '../infer-input.js';
import type { InferResult } from '../infer-result.js';
import type { InferOptions } from '../options.js';

/** One request written on the stream. Call-level fields of InferOptions (timeoutMs, signal, headers, retry) are ignored here; give them to `streamInfer`. */
export interface StreamInferRequest extends Omit<InferOptions, 'timeoutMs' | 'signal' | 'headers' | 'retry'> {
  /** The model to run. */
  readonly model: string;
  /** The request's inputs. */
  readonly inputs: readonly InferInput[];
  /**
   * Ask for an empty response flagged final after a decoupled model's last response
   * (`triton_enable_empty_final_response`), so the end of each request is visible. Default false.
   */
  readonly enableEmptyFinalResponse?: boolean;
}

/**
 * One message of the stream: a result, or the error of one request (the stream goes on).
 * `requestId` is the id of the request it belongs to.
 */
export type StreamResponse =
  | { readonly error: undefined; readonly result: InferResult; readonly requestId: string; readonly final: boolean }
  | {
      readonly error: InferenceServerError;
      readonly result: undefined;
      readonly requestId: string;
      readonly final: boolean;
    };
