/**
 * The js backend: `createJsBackend()` for the composition root, and the model-facing types for
 * people writing JS models (see docs/js-backend.md).
 */
export { createJsBackend, DEFAULT_MODEL_FILES, type JsBackendOptions } from './js-backend.js';
export type {
  JsInferError,
  JsInferInput,
  JsInferOptions,
  JsInferResponse,
  JsInputTensor,
  JsModel,
  JsModelFailure,
  JsModelCaller,
  JsModelInitArgs,
  JsModelLogger,
  JsModelRequest,
  JsModelResponse,
  JsModelSuccess,
  JsOutputData,
  JsOutputTensor,
  JsResponseSender,
  JsTensorData,
} from './model-api.js';
