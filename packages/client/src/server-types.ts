/**
 * Result shapes of the non-inference methods. Field names are those of the KServe v2 REST JSON
 * and of grpc_service.proto (snake_case; both use the same names), so both transports return the
 * same objects and the server's own documentation applies to them unchanged.
 */

/** `GET /v2` / ServerMetadata. */
export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  /** Protocol extensions the server supports, e.g. `classification`, `model_repository`. */
  readonly extensions: readonly string[];
}

/** One input or output in {@link ModelMetadata}. */
export interface TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  /** With a leading -1 for the batch dimension when the model batches; -1 for variable dims. */
  readonly shape: readonly number[];
}

/** `GET /v2/models/{m}` / ModelMetadata. */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
}

/**
 * A model configuration (Triton's `inference.ModelConfig`) with proto field names. Over HTTP it is
 * the server's JSON as it is; over gRPC the decoded message with enums as names and 64-bit
 * integers as numbers. Triton's JSON prints some 64-bit fields as strings, so compare numerically.
 */
export interface ModelConfig {
  readonly name?: string;
  readonly platform?: string;
  readonly backend?: string;
  readonly max_batch_size?: number;
  readonly input?: readonly Readonly<Record<string, unknown>>[];
  readonly output?: readonly Readonly<Record<string, unknown>>[];
  readonly [field: string]: unknown;
}

/** One row of the repository index. */
export interface RepositoryIndexEntry {
  readonly name: string;
  /** '' for a model with no loaded version. */
  readonly version: string;
  /** READY, UNAVAILABLE, LOADING, UNLOADING, or '' for a model never loaded. */
  readonly state: string;
  /** Why the model is not ready, when it is not. */
  readonly reason: string;
}

/** A count and its accumulated time in nanoseconds (Triton's StatisticDuration). */
export interface StatisticDuration {
  readonly count: number;
  readonly ns: number;
}

/** Statistics of one model version (Triton's ModelStatistics); nested groups kept as sent. */
export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: Readonly<Record<string, StatisticDuration>>;
  readonly batch_stats?: readonly Readonly<Record<string, unknown>>[];
  readonly [field: string]: unknown;
}

/** `GET /v2/models[/{m}[/versions/{v}]]/stats` / ModelStatistics. */
export interface InferenceStatistics {
  readonly model_stats: readonly ModelStatistics[];
}
