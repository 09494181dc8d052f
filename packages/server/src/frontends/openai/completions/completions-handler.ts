/**
 * `POST /v1/completions`: a prompt in, `text_completion` objects out (one, or a stream of chunks).
 * One prompt per request (a string, or an array holding one string); token-id prompts, `suffix`
 * and several prompts at once are refused with a 400. `n` choices run as `n` generations;
 * `logprobs` (0..5) returns OpenAI's legacy log-probability object.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceCore } from '../../../core/inference-core.js';
import { choiceSamplings, generateChunks, type LlmChunk, type TokenLogprob, type Usage } from '../llm-generation.js';
import { resolveLlmModel } from '../llm-models.js';
import { LLM_INPUTS } from '../../../core/llm-contract.js';
import { invalidParam } from '../openai-errors.js';
import {
  parseJsonBody,
  readBoolean,
  readChoiceCount,
  readInteger,
  readSampling,
  readStreamOptions,
  readUser,
  refuseUnknownFields,
  requireModel,
  type JsonBody,
} from '../request-fields.js';
import { respond, type ChoiceResult, type ChunkRenderer } from '../respond.js';

/** Every request field the endpoint knows (others are refused, as OpenAI does). */
const COMPLETION_FIELDS = [
  'model',
  'prompt',
  'stream',
  'stream_options',
  'max_tokens',
  'temperature',
  'top_p',
  'seed',
  'stop',
  'n',
  'best_of',
  'echo',
  'suffix',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'user',
  // vLLM's extras
  'top_k',
  'min_p',
  'repetition_penalty',
  'ignore_eos',
];

function readPrompt(body: JsonBody): string {
  const prompt = body['prompt'];
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (Array.isArray(prompt) && prompt.length > 1 && prompt.every((p) => typeof p === 'string')) {
    throw invalidParam('prompt', 'only one prompt per request is supported; send several requests instead');
  }
  throw invalidParam('prompt', "'prompt' must be a string (token-id prompts are not supported)");
}

/** OpenAI's legacy completions `logprobs` object for some tokens, `offset` the text offset of the first. */
function legacyLogprobs(tokens: readonly TokenLogprob[], offset: number): object {
  const textOffset: number[] = [];
  let at = offset;
  for (const t of tokens) {
    textOffset.push(at);
    at += t.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top_logprobs.map((a) => [a.token, a.logprob]))),
    text_offset: textOffset,
  };
}

function renderer(model: string, echoPrefix: string): ChunkRenderer {
  const id = `cmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: 'text_completion', created, model };
  const offsets = new Map<number, number>();
  return {
    whole: (choices: readonly ChoiceResult[], usage: Usage) => ({
      ...base,
      choices: choices.map((c) => ({
        index: c.index,
        text: echoPrefix + c.text,
        finish_reason: c.finishReason,
        logprobs: c.logprobs === undefined ? null : legacyLogprobs(c.logprobs, echoPrefix.length),
      })),
      usage,
    }),
    events: (chunk: LlmChunk, index: number, first: boolean, includeUsage: boolean) => {
      const text = (first ? echoPrefix : '') + chunk.text;
      const offset = offsets.get(index) ?? 0;
      offsets.set(index, offset + text.length);
      const start = offset + (first ? echoPrefix.length : 0);
      return [
        {
          ...base,
          choices: [
            {
              index,
              text,
              finish_reason: chunk.final ? (chunk.finishReason ?? 'stop') : null,
              logprobs: chunk.logprobs === undefined ? null : legacyLogprobs(chunk.logprobs, start),
            },
          ],
          ...(includeUsage ? { usage: null } : {}),
        },
      ];
    },
    usage: (usage: Usage) => ({ ...base, choices: [], usage }),
  };
}

/**
 * Builds the completions handler.
 *
 * @example
 * ```ts
 * fastify.post('/v1/completions', completionsHandler(core));
 * ```
 */
export function completionsHandler(
  core: InferenceCore,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const body = parseJsonBody(request.body);
    refuseUnknownFields(body, COMPLETION_FIELDS);
    const model = requireModel(body);
    const prompt = readPrompt(body);
    if (body['suffix'] !== undefined && body['suffix'] !== null)
      throw invalidParam('suffix', "'suffix' (insertion) is not supported");
    const echo = readBoolean(body, 'echo') ?? false;
    const n = readChoiceCount(body);
    const sampling = readSampling(body);
    const logprobs = readInteger(body, 'logprobs', 0, 5);
    if (logprobs !== undefined) {
      if (echo)
        throw invalidParam('logprobs', "'logprobs' with 'echo' (log-probabilities of the prompt) is not supported");
      sampling['logprobs'] = logprobs;
    }
    const user = readUser(body);
    if (user !== undefined) request.log.debug({ user }, 'OpenAI request user');
    const options = readStreamOptions(body);
    const config = resolveLlmModel(core, model, LLM_INPUTS.text);
    await respond(
      reply,
      choiceSamplings(sampling, n).map(
        (s) => (signal: AbortSignal) =>
          generateChunks(core, { config, prompt, stream: options.stream, sampling: s }, signal),
      ),
      options,
      renderer(model, echo ? prompt : ''),
    );
  };
}
