/** Shapes of the server answers the console reads (KServe v2 / Triton JSON, and its own API). */

/** `GET /v2`. */
export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/** `GET /console/api/server`. */
export interface ConsoleServer {
  uptime_s: number;
  started_at: string;
  ports: { http?: number; grpc?: number; metrics?: number };
  model_control_mode: 'none' | 'poll' | 'explicit';
  restricted: Array<{ group: string; header: string }>;
}

/** One row of `POST /v2/repository/index`. */
export interface IndexRow {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
}

/** A tensor of model metadata. */
export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

/** `GET /v2/models/{m}`. */
export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** The parts of a config (`GET /v2/models/{m}/config`) the form reads. */
export interface ModelConfigJson {
  max_batch_size?: number;
  input?: Array<{ name: string; format?: string; optional?: boolean }>;
  output?: Array<{ name: string; label_filename?: string }>;
  model_transaction_policy?: { decoupled?: boolean };
  [field: string]: unknown;
}

/** One output of an infer response. */
export interface OutputTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
}

/** An infer response. */
export interface InferResponse {
  model_name: string;
  model_version?: string;
  outputs: OutputTensor[];
}
