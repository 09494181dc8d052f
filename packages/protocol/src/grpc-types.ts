/**
 * TypeScript shapes of the grpc_service.proto / health.proto messages as protobufjs decodes them
 * with `keepCase` (see proto-root.ts): snake_case field names, `bytes` as Uint8Array (a Buffer
 * view in Node), 64-bit integers as numbers, maps as plain objects, enums as numbers.
 *
 * They are written by hand rather than generated because only the messages the frontends and
 * clients touch are needed, and protobufjs' static code generator would add a second copy of
 * every encoder. The same shapes are accepted by `Type.encode` when building replies.
 */

/** One value of the InferParameter oneof (`parameter_choice`); exactly one field is set. */
export interface InferParameterMessage {
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
  double_param?: number;
  uint64_param?: number;
  /** Name of the field that is set (a protobufjs virtual getter on decoded messages). */
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
}

/** Named InferParameters, as in request, tensor and response `parameters` maps. */
export type InferParameterMap = Record<string, InferParameterMessage>;

/** Typed tensor elements (`InferTensorContents`); only the field matching the datatype is used. */
export interface InferTensorContentsMessage {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: number[];
  uint_contents?: number[];
  uint64_contents?: number[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

/** `ModelInferRequest.InferInputTensor`. */
export interface InferInputTensorMessage {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: InferParameterMap;
  contents?: InferTensorContentsMessage | null;
}

/** `ModelInferRequest.InferRequestedOutputTensor`. */
export interface InferRequestedOutputTensorMessage {
  name: string;
  parameters?: InferParameterMap;
}

/** `ModelInferRequest`: the unary and streamed inference request. */
export interface ModelInferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: InferParameterMap;
  inputs: InferInputTensorMessage[];
  outputs?: InferRequestedOutputTensorMessage[];
  /** One entry per input, in the order of `inputs`, or empty when inputs use `contents`. */
  raw_input_contents?: Uint8Array[];
}

/** `ModelInferResponse.InferOutputTensor`. */
export interface InferOutputTensorMessage {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: InferParameterMap;
  contents?: InferTensorContentsMessage | null;
}

/** `ModelInferResponse`. */
export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: InferParameterMap;
  outputs?: InferOutputTensorMessage[];
  /** One entry per output, in the order of `outputs`. */
  raw_output_contents?: Uint8Array[];
}

/** `ModelStreamInferResponse`: a response, or the error of one request of the stream. */
export interface ModelStreamInferResponseMessage {
  error_message?: string;
  infer_response?: ModelInferResponseMessage | null;
}

/** Requests that name a model and an optional version (ModelReady, ModelMetadata, ModelConfig, ModelStatistics). */
export interface ModelNameVersionRequestMessage {
  name: string;
  version: string;
}

/** `RepositoryIndexRequest`. */
export interface RepositoryIndexRequestMessage {
  repository_name: string;
  ready: boolean;
}

/** One value of the ModelRepositoryParameter oneof. */
export interface ModelRepositoryParameterMessage {
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
  bytes_param?: Uint8Array;
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'bytes_param';
}

/** `RepositoryModelLoadRequest` and `RepositoryModelUnloadRequest`. */
export interface RepositoryModelRequestMessage {
  repository_name: string;
  model_name: string;
  parameters?: Record<string, ModelRepositoryParameterMessage>;
}

/** `TraceSettingRequest.SettingValue` / `TraceSettingResponse.SettingValue`. */
export interface TraceSettingValueMessage {
  value: string[];
}

/** `TraceSettingRequest`. */
export interface TraceSettingRequestMessage {
  settings?: Record<string, TraceSettingValueMessage>;
  model_name: string;
}

/** `TraceSettingResponse`. */
export interface TraceSettingResponseMessage {
  settings: Record<string, TraceSettingValueMessage>;
}

/** `LogSettingsRequest.SettingValue` / `LogSettingsResponse.SettingValue`. */
export interface LogSettingValueMessage {
  bool_param?: boolean;
  uint32_param?: number;
  string_param?: string;
  readonly parameter_choice?: 'bool_param' | 'uint32_param' | 'string_param';
}

/** `LogSettingsRequest` and `LogSettingsResponse`. */
export interface LogSettingsMessage {
  settings?: Record<string, LogSettingValueMessage>;
}

/** `grpc.health.v1.HealthCheckRequest`. */
export interface HealthCheckRequestMessage {
  service: string;
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` values. */
export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  SERVICE_UNKNOWN: 3,
} as const;

/** A `ServingStatus` number. */
export type ServingStatusValue = (typeof ServingStatus)[keyof typeof ServingStatus];

/** `grpc.health.v1.HealthCheckResponse`. */
export interface HealthCheckResponseMessage {
  status: ServingStatusValue;
}

/**
 * `llm.GenerateRequest` (llm_service.proto), as decoded. Fields declared `optional` in the proto
 * are `null` when the client did not set them, so "unset" and "0" stay apart.
 */
export interface GenerateRequestMessage {
  prompt: string;
  max_tokens: number;
  temperature: number;
  model: string;
  seed?: number | null;
  stop: string[];
  top_p?: number | null;
  top_k?: number | null;
  repetition_penalty?: number | null;
  model_version: string;
  ignore_eos: boolean;
}

/** `llm.GenerateResponse`: the whole completion of a Generate call. */
export interface GenerateResponseMessage {
  text: string;
  finish_reason?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  model?: string;
  model_version?: string;
}

/** `llm.Token`: one chunk of a StreamGenerate stream; the last one has `is_finished`. */
export interface TokenMessage {
  text: string;
  is_finished?: boolean;
  finish_reason?: string;
  prompt_tokens?: number;
  completion_tokens?: number;
}
