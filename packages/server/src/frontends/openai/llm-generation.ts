/**
 * One generation through the core, in the LLM contract's terms: builds the request tensors
 * (`text_input` or `chat_messages`, `stream`, `exclude_input_in_output`, `sampling_parameters`) and
 * turns the model's responses into text chunks, the last one carrying `finish_reason` and token
 * counts from the final response's parameters. The OpenAI handlers render these chunks; nothing
 * here knows OpenAI's JSON.
 */
import { decodeBytesElements, encodeBytesElements, type DataType } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import type { InferenceCore } from '../../core/inference-core.js';
import type { InferRequest, Tensor } from '../../core/types.js';
import { LLM_INPUTS, LLM_OUTPUT } from '../../core/llm-contract.js';

/** What to generate. Exactly one of `prompt` and `messages`. */
export interface LlmCall {
  readonly config: ModelConfig;
  readonly prompt?: string;
  /** Chat messages, sent as the JSON of `chat_messages`. */
  readonly messages?: ReadonlyArray<{ role: string; content: string }>;
  readonly stream: boolean;
  readonly sampling: Readonly<Record<string, unknown>>;
}

/** Token counts, OpenAI's `usage`. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One generated token's log-probability, as the llm backend reports it (OpenAI's chat shape). */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[] | null;
  readonly top_logprobs: ReadonlyArray<{ token: string; logprob: number; bytes: number[] | null }>;
}

/** A piece of generated text; the last one is `final` and carries why generation stopped. */
export interface LlmChunk {
  readonly text: string;
  /** The log-probabilities of this piece's tokens, when the request asked and the model reported them. */
  readonly logprobs?: readonly TokenLogprob[];
  readonly final: boolean;
  /** On the final chunk: the model's `finish_reason` ("stop" when it gave none). */
  readonly finishReason?: string;
  /** On the final chunk: from `num_input_tokens` / `num_output_tokens` (0 when absent). */
  readonly usage?: Usage;
}

const utf8 = new TextDecoder();

function tensor(config: ModelConfig, name: string, datatype: DataType, data: Uint8Array): Tensor {
  return { name, datatype, shape: config.max_batch_size > 0 ? [1, 1] : [1], data };
}

function buildRequest(call: LlmCall): InferRequest {
  const { config } = call;
  const has = new Set(config.input.map((i) => i.name));
  const inputs: Tensor[] = [];
  const bytes = (name: string, text: string): void => {
    inputs.push(tensor(config, name, 'BYTES', encodeBytesElements([text])));
  };
  const bool = (name: string, value: boolean): void => {
    if (has.has(name)) inputs.push(tensor(config, name, 'BOOL', Uint8Array.of(value ? 1 : 0)));
  };
  if (call.messages !== undefined) bytes(LLM_INPUTS.chat, JSON.stringify(call.messages));
  else bytes(LLM_INPUTS.text, call.prompt ?? '');
  bool(LLM_INPUTS.stream, call.stream);
  // OpenAI never repeats the prompt unless asked (`echo`, which the handler adds itself).
  bool(LLM_INPUTS.excludeInput, true);
  if (has.has(LLM_INPUTS.sampling) && Object.keys(call.sampling).length > 0) {
    bytes(LLM_INPUTS.sampling, JSON.stringify(call.sampling));
  }
  return {
    modelName: config.name,
    modelVersion: '',
    id: '',
    inputs,
    outputs: [{ name: LLM_OUTPUT, parameters: {} }],
    parameters: {},
  };
}

/** The response parameter the llm backend reports log-probabilities in (a JSON array). */
export const LOGPROBS_PARAMETER = 'logprobs';

function readLogprobs(value: unknown): TokenLogprob[] | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as TokenLogprob[]) : undefined;
  } catch {
    return undefined;
  }
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * Runs one generation. Rejects on the first `next()` for a request the core refuses; a model error
 * response ends the generation with that error.
 *
 * @example
 * ```ts
 * for await (const chunk of generateChunks(core, { config, prompt: 'Hi', stream: true, sampling: {} }, signal)) {
 *   write(chunk.text);
 * }
 * ```
 */
export async function* generateChunks(
  core: InferenceCore,
  call: LlmCall,
  signal: AbortSignal,
): AsyncGenerator<LlmChunk> {
  for await (const response of core.infer(buildRequest(call), { signal, protocol: 'http', allowDecoupled: true })) {
    if (response.error !== undefined) throw response.error;
    const out = response.outputs.find((o) => o.name === LLM_OUTPUT);
    const text =
      out === undefined
        ? ''
        : decodeBytesElements(out.data)
            .map((b) => utf8.decode(b))
            .join('');
    const p = response.parameters;
    const logprobs = readLogprobs(p[LOGPROBS_PARAMETER]);
    if (!response.final) {
      if (text !== '' || logprobs !== undefined) yield { text, final: false, ...(logprobs ? { logprobs } : {}) };
      continue;
    }
    const promptTokens = count(p['num_input_tokens']);
    const completionTokens = count(p['num_output_tokens']);
    yield {
      text,
      final: true,
      ...(logprobs ? { logprobs } : {}),
      finishReason: typeof p['finish_reason'] === 'string' ? p['finish_reason'] : 'stop',
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    };
    return;
  }
}

/**
 * The sampling parameters of each of `n` choices: with a `seed`, choice i uses seed + i (mod 2^32)
 * so the choices differ yet the answer stays reproducible; without one, each choice samples on
 * its own.
 *
 * @example
 * ```ts
 * choiceSamplings({ seed: 7 }, 2) // [{ seed: 7 }, { seed: 8 }]
 * ```
 */
export function choiceSamplings(
  sampling: Readonly<Record<string, unknown>>,
  n: number,
): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => {
    const seed = sampling['seed'];
    return typeof seed === 'number' && i > 0 ? { ...sampling, seed: (seed + i) % 2 ** 32 } : { ...sampling };
  });
}
