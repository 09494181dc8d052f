/**
 * The LLM model contract in code: how to recognise a model that implements it (Triton's vLLM
 * tensor interface: a decoupled model with a `text_input` and a `text_output` string tensor), how
 * to build a request for it and how to read its responses. Protocol-neutral, so every LLM
 * frontend (gRPC LLMService, HTTP generate, OpenAI) and the metrics agree on one definition, and
 * every such frontend works with any backend that implements the contract.
 */
import { decodeBytesElements, encodeBytesElements } from '@tensorgate/protocol';
import type { ModelConfig } from './config/model-config.js';
import type { InferRequest, InferResponse, Parameters, Tensor } from './types.js';

/** Input tensor names of the contract. */
export const LLM_INPUTS = {
  /** The prompt (BYTES [1]). */
  text: 'text_input',
  /** BOOL [1]: true for one response per text chunk. */
  stream: 'stream',
  /** BYTES [1]: JSON object of vLLM sampling parameters. */
  sampling: 'sampling_parameters',
  /** BOOL [1]: false repeats the prompt in a non-streamed reply. */
  excludeInput: 'exclude_input_in_output',
  /** BYTES [1]: JSON `[{role, content}]`, rendered with the model's chat template. */
  chat: 'chat_messages',
} as const;

/** The output tensor of the contract (BYTES: the new text). */
export const LLM_OUTPUT = 'text_output';

/** Response parameters the final response of a contract model carries. */
export const LLM_RESPONSE_PARAMETERS = {
  finishReason: 'finish_reason',
  inputTokens: 'num_input_tokens',
  outputTokens: 'num_output_tokens',
} as const;

/**
 * vLLM-named sampling parameters (`sampling_parameters` JSON); every field is optional, and an
 * undefined one is left out of the JSON.
 */
export interface SamplingParameters {
  temperature?: number | undefined;
  top_p?: number | undefined;
  top_k?: number | undefined;
  min_p?: number | undefined;
  repetition_penalty?: number | undefined;
  seed?: number | undefined;
  max_tokens?: number | undefined;
  stop?: string | string[] | undefined;
  ignore_eos?: boolean | undefined;
}

/**
 * True when the config describes a model of the LLM contract: decoupled, with a string input
 * `text_input` and a string output `text_output`. Backends other than `llm` (a JS model, a
 * future one) qualify too; that is what lets frontends be tested without a GGUF model.
 *
 * @example
 * ```ts
 * isLlmModelConfig(core.modelConfig('llm')) // true
 * ```
 */
export function isLlmModelConfig(config: ModelConfig): boolean {
  return (
    config.model_transaction_policy.decoupled &&
    config.input.some((i) => i.name === LLM_INPUTS.text && i.data_type === 'TYPE_STRING') &&
    config.output.some((o) => o.name === LLM_OUTPUT && o.data_type === 'TYPE_STRING')
  );
}

/** What {@link buildLlmRequest} needs. */
export interface LlmRequestOptions {
  model: string;
  /** '' (default) selects by the version policy. */
  version?: string;
  /** Request id echoed in responses. */
  id?: string;
  prompt: string;
  stream: boolean;
  /** Parameters left undefined are not sent (the model's defaults apply). */
  sampling?: SamplingParameters;
  /** Whether a non-streamed reply leaves out the prompt; omitted, the model's default (include). */
  excludeInputInOutput?: boolean;
}

function stringTensor(name: string, value: string): Tensor {
  return { name, datatype: 'BYTES', shape: [1], data: encodeBytesElements([value]) };
}

function boolTensor(name: string, value: boolean): Tensor {
  return { name, datatype: 'BOOL', shape: [1], data: Uint8Array.of(value ? 1 : 0) };
}

/** Drops undefined fields, so the JSON names only what the client chose. */
function definedOnly(sampling: SamplingParameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sampling)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Builds the core request for a text-generation call on a contract model.
 *
 * @example
 * ```ts
 * const request = buildLlmRequest({ model: 'llm', prompt: 'Hello', stream: true, sampling: { max_tokens: 16 } });
 * for await (const r of core.infer(request, ctx)) write(llmResponseText(r));
 * ```
 */
export function buildLlmRequest(options: LlmRequestOptions): InferRequest {
  const inputs: Tensor[] = [
    stringTensor(LLM_INPUTS.text, options.prompt),
    boolTensor(LLM_INPUTS.stream, options.stream),
  ];
  const sampling = definedOnly(options.sampling ?? {});
  if (Object.keys(sampling).length > 0) inputs.push(stringTensor(LLM_INPUTS.sampling, JSON.stringify(sampling)));
  if (options.excludeInputInOutput !== undefined) {
    inputs.push(boolTensor(LLM_INPUTS.excludeInput, options.excludeInputInOutput));
  }
  return {
    modelName: options.model,
    modelVersion: options.version ?? '',
    id: options.id ?? '',
    inputs,
    outputs: [{ name: LLM_OUTPUT, parameters: {} }],
    parameters: {},
  };
}

const utf8 = new TextDecoder();

/**
 * The text a contract model's response carries: the `text_output` elements joined ('' for a
 * response without it, such as a bare final flag).
 */
export function llmResponseText(response: InferResponse): string {
  let text = '';
  for (const t of response.outputs) {
    if (t.name !== LLM_OUTPUT || t.datatype !== 'BYTES') continue;
    for (const element of decodeBytesElements(t.data)) text += utf8.decode(element);
  }
  return text;
}

/** Finish reason and token counts of a final response (fields absent when the model did not say). */
export interface LlmCompletionInfo {
  finishReason?: string;
  inputTokens?: number;
  outputTokens?: number;
}

function count(value: Parameters[string] | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Reads the final response parameters of a contract model (`finish_reason`, `num_input_tokens`,
 * `num_output_tokens`); values of the wrong type are ignored.
 */
export function llmCompletionInfo(parameters: Parameters): LlmCompletionInfo {
  const info: LlmCompletionInfo = {};
  const reason = parameters[LLM_RESPONSE_PARAMETERS.finishReason];
  if (typeof reason === 'string' && reason !== '') info.finishReason = reason;
  const input = count(parameters[LLM_RESPONSE_PARAMETERS.inputTokens]);
  if (input !== undefined) info.inputTokens = input;
  const output = count(parameters[LLM_RESPONSE_PARAMETERS.outputTokens]);
  if (output !== undefined) info.outputTokens = output;
  return info;
}
