/**
 * Request and response shapes of Triton's generate extension (HTTP only, provisional in Triton):
 * `POST /v2/models/{m}[/versions/{v}]/generate` and `/generate_stream` (Server-Sent Events).
 */
import type { CallOptions, ModelVersion, Parameters } from '../options.js';

/**
 * A generate request. `text_input` and `parameters` are the standard fields; any other property
 * is passed to the model as a tensor or parameter, as the server maps it.
 */
export interface GenerateRequest {
  readonly text_input?: string;
  readonly parameters?: Parameters;
  readonly [field: string]: unknown;
}

/** A generate response (one per SSE event when streaming). */
export interface GenerateResponse {
  readonly model_name?: string;
  readonly model_version?: string;
  readonly text_output?: string;
  readonly [field: string]: unknown;
}

/** Options of `generate` and `generateStream`. */
export interface GenerateOptions extends CallOptions {
  /** The model version; omitted, the server chooses. */
  readonly modelVersion?: ModelVersion;
}
