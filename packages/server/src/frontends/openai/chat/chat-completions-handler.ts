/**
 * `POST /v1/chat/completions`: messages in, a `chat.completion` (or a stream of
 * `chat.completion.chunk`s) out. The messages go to the model as `chat_messages`, which it renders
 * with its own chat template. Tools, function calling and non-text response formats are refused.
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
import { readChatMessages } from './chat-messages.js';

function refuseTools(body: JsonBody): void {
  for (const key of ['tools', 'functions']) {
    const v = body[key];
    if (Array.isArray(v) && v.length > 0) throw invalidParam(key, `'${key}' (function calling) is not supported`);
  }
  for (const key of ['tool_choice', 'function_call']) {
    const v = body[key];
    if (v !== undefined && v !== null && v !== 'none' && v !== 'auto') {
      throw invalidParam(key, `'${key}' (function calling) is not supported`);
    }
  }
  const format = body['response_format'] as { type?: unknown } | null | undefined;
  if (format !== undefined && format !== null && format.type !== 'text') {
    throw invalidParam('response_format', 'only \'response_format\' {"type": "text"} is supported');
  }
}

function renderer(model: string): ChunkRenderer {
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: 'chat.completion.chunk', created, model };
  const chunk = (delta: object, finishReason: string | null, includeUsage: boolean): object => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    ...(includeUsage ? { usage: null } : {}),
  });
  return {
    whole: (text: string, last: LlmChunk) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          finish_reason: last.finishReason ?? 'stop',
          logprobs: null,
        },
      ],
      usage: last.usage,
    }),
    events: (c: LlmChunk, first: boolean, includeUsage: boolean) => {
      const events: object[] = [];
      // As OpenAI does: the role comes first, in a chunk of its own.
      if (first) events.push(chunk({ role: 'assistant', content: '' }, null, includeUsage));
      if (c.final) events.push(chunk(c.text === '' ? {} : { content: c.text }, c.finishReason ?? 'stop', includeUsage));
      else events.push(chunk({ content: c.text }, null, includeUsage));
      return events;
    },
    usage: (usage: Usage) => ({ ...base, choices: [], usage }),
  };
}

/**
 * Builds the chat completions handler.
 *
 * @example
 * ```ts
 * fastify.post('/v1/chat/completions', chatCompletionsHandler(core));
 * ```
 */
export function chatCompletionsHandler(
  core: InferenceCore,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const body = parseJsonBody(request.body);
    const model = requireModel(body);
    const messages = readChatMessages(body['messages']);
    refuseTools(body);
    const sampling = readSampling(body);
    const options = readStreamOptions(body);
    const config = resolveLlmModel(core, model, LLM_INPUTS.chat);
    await respond(
      reply,
      (signal) => generateChunks(core, { config, messages, stream: options.stream, sampling }, signal),
      options,
      renderer(model),
    );
  };
}
