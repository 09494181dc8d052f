/**
 * The llm backend: `createLlmBackend()` for the composition root (see docs/llm.md).
 */
export { createLlmBackend, LLM_BACKEND_NAME } from './llm-backend.js';
export { checkGgufInfo, validateGgufFile, type GgufSummary } from './gguf-validation.js';
export {
  DEFAULT_MAX_TOKENS,
  parseSamplingParameters,
  SAMPLING_KEYS,
  type SamplingParameters,
} from './sampling-parameters.js';
export { defaultThreads, readLlmSettings, type LlmSettings } from './llm-settings.js';
