/**
 * The typed model configuration. Field names are the protobuf field names of Triton's
 * `inference.ModelConfig` (snake_case), so one object is at once what `config.pbtxt` says, what
 * the HTTP config endpoint prints as JSON and what the gRPC ModelConfig RPC encodes.
 *
 * The normalizer (`normalize-config.ts`) fills every default, so consumers can rely on the
 * non-optional fields below being present. Fields the server does not interpret yet are kept
 * as they were parsed (see the index signature) and reported back unchanged.
 */
import type { ConfigDataType } from '@tensorgate/protocol';

/** `version_policy`: exactly one of the three members is set. */
export interface VersionPolicy {
  latest?: { num_versions: number };
  all?: Record<string, never>;
  specific?: { versions: number[] };
}

/** One `input` of the model. */
export interface ModelInputConfig {
  name: string;
  data_type: ConfigDataType;
  format: string;
  /** Dims without the batch dimension when max_batch_size > 0; -1 is variable. */
  dims: number[];
  reshape?: { shape: number[] };
  is_shape_tensor: boolean;
  allow_ragged_batch: boolean;
  optional: boolean;
  [key: string]: unknown;
}

/** One `output` of the model. */
export interface ModelOutputConfig {
  name: string;
  data_type: ConfigDataType;
  dims: number[];
  reshape?: { shape: number[] };
  label_filename: string;
  is_shape_tensor: boolean;
  [key: string]: unknown;
}

/** One `instance_group` entry. */
export interface InstanceGroupConfig {
  name: string;
  kind: 'KIND_AUTO' | 'KIND_GPU' | 'KIND_CPU' | 'KIND_MODEL';
  count: number;
  gpus: number[];
  [key: string]: unknown;
}

/** A queue policy (`default_queue_policy`, `priority_queue_policy` values). */
export interface ModelQueuePolicy {
  timeout_action: 'REJECT' | 'DELAY';
  default_timeout_microseconds: number;
  allow_timeout_override: boolean;
  max_queue_size: number;
}

/** `dynamic_batching` settings. */
export interface DynamicBatchingConfig {
  preferred_batch_size: number[];
  max_queue_delay_microseconds: number;
  preserve_ordering: boolean;
  priority_levels: number;
  default_priority_level: number;
  default_queue_policy?: ModelQueuePolicy;
  priority_queue_policy: Record<string, ModelQueuePolicy>;
  [key: string]: unknown;
}

/** A model `parameters` entry value. */
export interface ModelParameter {
  string_value: string;
}

/** A complete, normalized model configuration. */
export interface ModelConfig {
  name: string;
  platform: string;
  backend: string;
  version_policy: VersionPolicy;
  max_batch_size: number;
  input: ModelInputConfig[];
  output: ModelOutputConfig[];
  instance_group: InstanceGroupConfig[];
  default_model_filename: string;
  parameters: Record<string, ModelParameter>;
  model_transaction_policy: { decoupled: boolean };
  dynamic_batching?: DynamicBatchingConfig;
  sequence_batching?: Record<string, unknown>;
  ensemble_scheduling?: Record<string, unknown>;
  model_warmup: Record<string, unknown>[];
  [key: string]: unknown;
}
