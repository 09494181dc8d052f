/**
 * Result shapes the core returns for the non-inference APIs. Field names follow the protobuf
 * messages of grpc_service.proto (snake_case), which is also the KServe v2 / Triton REST JSON, so
 * the HTTP frontend can serialize them as they are and the gRPC frontend can encode them as they are.
 */
import type { DataType } from '@tensorgate/protocol';

/** `GET /v2` and ServerMetadata. */
export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/** Tensor metadata in model metadata. */
export interface TensorMetadata {
  name: string;
  datatype: DataType;
  /** Including a leading -1 batch dim when the model batches. */
  shape: number[];
}

/** `GET /v2/models/{m}[/versions/{v}]` and ModelMetadata. */
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** Model states as Triton reports them in the repository index. */
export type ModelState = 'UNAVAILABLE' | 'LOADING' | 'READY' | 'UNLOADING';

/** One row of the repository index. */
export interface RepositoryIndexEntry {
  name: string;
  /** '' for a model with no loaded versions. */
  version: string;
  /** '' for a model that was never loaded. */
  state: ModelState | '';
  reason: string;
}

/** A count and its accumulated duration in nanoseconds. */
export interface StatisticDuration {
  count: number;
  ns: number;
}

/** Triton's InferStatistics. */
export interface InferStatistics {
  success: StatisticDuration;
  fail: StatisticDuration;
  queue: StatisticDuration;
  compute_input: StatisticDuration;
  compute_infer: StatisticDuration;
  compute_output: StatisticDuration;
  cache_hit: StatisticDuration;
  cache_miss: StatisticDuration;
}

/** Triton's InferBatchStatistics: one row per executed batch size. */
export interface InferBatchStatistics {
  batch_size: number;
  compute_input: StatisticDuration;
  compute_infer: StatisticDuration;
  compute_output: StatisticDuration;
}

/** Triton's ModelStatistics for one model version. */
export interface ModelStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last inference, 0 if none. */
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: InferStatistics;
  batch_stats: InferBatchStatistics[];
  memory_usage: unknown[];
  response_stats: Record<string, unknown>;
}
