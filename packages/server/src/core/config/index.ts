/**
 * Model configuration: `config.pbtxt` parsing, Triton's normalization and validation, and the
 * JSON / protobuf forms used by the HTTP and gRPC frontends.
 */
export type * from './model-config.js';
export { readModelConfig, CONFIG_FILE_NAME } from './load-config.js';
export { parseModelConfigText, pbtxtToObject, modelConfigType } from './pbtxt-to-object.js';
export { parsePbtxt } from './pbtxt-parser.js';
export type { PbtxtField, PbtxtMessage, PbtxtScalar, PbtxtValue } from './pbtxt-parser.js';
export { tokenizePbtxt, pbtxtError } from './pbtxt-lexer.js';
export type { PbtxtToken, PbtxtTokenKind, SourcePosition } from './pbtxt-lexer.js';
export { normalizeConfig, DEFAULT_SEQUENCE_IDLE_MICROSECONDS } from './normalize-config.js';
export type { NormalizeConfigOptions } from './normalize-config.js';
export { validateModelConfig, validateModelIo } from './validate-config.js';
export { checkConfigSupport, isDefaultValue } from './config-support.js';
export type { BackendConfigSupport } from './config-support.js';
export { CONFIG_FIELDS } from './config-fields.js';
export type { FieldRule, FieldStatus } from './config-fields.js';
export type { ValidateConfigOptions } from './validate-config.js';
export { elementCount, TENSOR_DATA_TYPES } from './validate-io.js';
export {
  autofillBackendFields,
  checkPlatformBackend,
  PLATFORM_BACKENDS,
  ENSEMBLE_PLATFORM,
} from './backend-autofill.js';
export type { AutofillOptions } from './backend-autofill.js';
export {
  configToJson,
  configFromJson,
  parseConfigJson,
  modelConfigMessage,
  encodeModelConfig,
  decodeModelConfig,
} from './config-json.js';
