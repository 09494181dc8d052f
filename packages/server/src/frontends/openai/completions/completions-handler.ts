/**
 * `POST /v1/completions`: a prompt in, `text_completion` objects out (one, or a stream of chunks).
 * One prompt per request (a string, or an array holding one string); token-id prompts, `suffix`
 * and several prompts at once are refused with a 400.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceCore } from '../../../core/inference-core.js';
import { generateChunks, type LlmChunk, type Usage } from '../llm-generation.js';
import { resolveLlmModel } from '../llm-models.js';
import { LLM_INPUTS } from '../../../core/llm-contract.js';
import { invalidParam } from '../openai-errors.js';
import { parseJsonBody, readSampling, readStreamOptions, requireModel, type JsonBody } from '../request-fields.js';
import { respond, type ChunkRenderer } from '../respond.js';

function readPrompt(body: JsonBody): string {
  const prompt = body['prompt'];
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (Array.isArray(prompt) && prompt.length > 1 && prompt.every((p) => typeof p === 'string')) {
    throw invalidParam('prompt', 'only one prompt per request is supported; send several requests instead');
  }
  throw invalidParam('prompt', "'prompt' must be a string (token-id prompts are not supported)");
}

function renderer(model: string, echoPrefix: string): ChunkRenderer {
  const id = `cmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: 'text_completion', created, model };
  return {
    whole: (text: string, last: LlmChunk) => ({
      ...base,
      choices: [{ index: 0, text: echoPrefix + text, finish_reason: last.finishReason ?? 'stop', logprobs: null }],
      usage: last.usage,
    }),
    events: (chunk: LlmChunk, first: boolean, includeUsage: boolean) => [
      {
        ...base,
        choices: [
          {
            index: 0,
            text: (first ? echoPrefix : '') + chunk.text,
            finish_reason: chunk.final ? (chunk.finishReason ?? 'stop') : null,
            logprobs: null,
          },
        ],
        ...(includeUsage ? { usage: null } : {}),
      },
    ],
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
    const model = requireModel(body);
    const prompt = readPrompt(body);
    if (body['suffix'] !== undefined && body['suffix'] !== null)
      throw invalidParam('suffix', "'suffix' is not supported");
    const echo = body['echo'] === true;
    const sampling = readSampling(body);
    const options = readStreamOptions(body);
    const config = resolveLlmModel(core, model, LLM_INPUTS.text);
    await respond(
      reply,
      (signal) => generateChunks(core, { config, prompt, stream: options.stream, sampling }, signal),
      options,
      renderer(model, echo ? prompt : ''),
    );
  };
}
