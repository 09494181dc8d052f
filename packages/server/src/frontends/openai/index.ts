/**
 * The OpenAI-compatible frontend: `/v1` routes for models implementing the LLM contract.
 */
export { mountOpenAiFrontend } from './openai-frontend.js';
export type { OpenAiFrontendOptions } from './openai-frontend.js';
export { OPENAI_ROUTES, OPENAI_PREFIX } from './routes.js';
export type { OpenAiRouteSpec, OpenAiHandlerName } from './routes.js';
export { isLlmModel } from './llm-models.js';
export { OpenAiError, toOpenAiFailure, openAiStatusFor } from './openai-errors.js';
