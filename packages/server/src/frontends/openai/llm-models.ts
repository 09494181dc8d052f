/**
 * Which models the OpenAI API serves: those implementing the LLM model contract (an input
 * `text_input` or `chat_messages` and an output `text_output`, Triton's vLLM interface plus
 * tensorgate's chat input). The llm backend's models do; so does any other model with that
 * interface, e.g. a JS model.
 */
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError } from '../../core/errors.js';
import { LLM_INPUTS, LLM_OUTPUT } from '../../core/llm-contract.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { OpenAiError } from './openai-errors.js';

/**
 * True when the config implements the LLM contract.
 *
 * @example
 * ```ts
 * isLlmModel(core.modelConfig('llm')) // true
 * ```
 */
export function isLlmModel(config: ModelConfig): boolean {
  const inputs = new Set(config.input.map((i) => i.name));
  return (
    (inputs.has(LLM_INPUTS.text) || inputs.has(LLM_INPUTS.chat)) && config.output.some((o) => o.name === LLM_OUTPUT)
  );
}

/** The output of an embedding model (`/v1/embeddings`). */
export const EMBEDDING_OUTPUT = 'embedding';

/**
 * True when the config is an embedding model: an input `text_input` (strings) and an output
 * `embedding` (FP32, one vector per text), as the llm backend's embedding models have.
 */
export function isEmbeddingModel(config: ModelConfig): boolean {
  return (
    config.input.some((i) => i.name === LLM_INPUTS.text && i.data_type === 'TYPE_STRING') &&
    config.output.some((o) => o.name === EMBEDDING_OUTPUT && o.data_type === 'TYPE_FP32')
  );
}

/** Names of the ready models the OpenAI API serves (language and embedding models), sorted. */
export async function listLlmModels(core: InferenceCore): Promise<string[]> {
  const names = new Set<string>();
  for (const entry of await core.repositoryIndex(true)) {
    try {
      const config = core.modelConfig(entry.name);
      if (isLlmModel(config) || isEmbeddingModel(config)) names.add(entry.name);
    } catch {
      // Unloaded between the index and the lookup: not listed.
    }
  }
  return [...names].sort();
}

/**
 * The config of a ready LLM that accepts `input` (`text_input` for completions, `chat_messages`
 * for chat); a 404 for an unknown model and a 400 for a model without that interface.
 */
export function resolveLlmModel(core: InferenceCore, model: string, input: string): ModelConfig {
  let config: ModelConfig;
  try {
    config = core.modelConfig(model);
  } catch (e) {
    if (e instanceof InferenceError && e.code === 'NOT_FOUND') {
      throw new OpenAiError(404, `The model '${model}' does not exist`, { param: 'model', code: 'model_not_found' });
    }
    throw e;
  }
  if (!isLlmModel(config)) {
    throw new OpenAiError(
      400,
      `model '${model}' is not a language model: it needs an input '${LLM_INPUTS.text}' or '${LLM_INPUTS.chat}' and an output '${LLM_OUTPUT}'`,
      { param: 'model' },
    );
  }
  if (!config.input.some((i) => i.name === input)) {
    const what = input === LLM_INPUTS.chat ? 'chat completions' : 'text completions';
    throw new OpenAiError(400, `model '${model}' does not support ${what} (it has no input '${input}')`, {
      param: 'model',
    });
  }
  return config;
}
