/**
 * `POST /v1/chat/completions`: messages in, a `chat.completion` (or a stream of
 * `chat.completion.chunk`s) out. The messages go to the model as `chat_messages`, which it renders
 * with its own chat template. `response_format` json_object / json_schema and forced tool calls
 * become grammar-constrained generation (`guided_decoding` in `sampling_parameters`); function
 * calling is described in tool-calls.ts; `logprobs` / `top_logprobs` ask the model for token
 * log-probabilities; `n` runs one generation per choice.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceCore } from '../../../core/inference-core.js';
import { choiceSamplings, generateChunks } from '../llm-generation.js';
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
import { respond } from '../respond.js';
import { readChatMessages, type ChatMessage } from './chat-messages.js';
import { callModeFor, chatRenderer } from './chat-renderer.js';
import { readToolChoice, readTools, toolCallSchema, toolSystemPrompt, type ToolSpec } from './tool-calls.js';

/** Every request field the endpoint knows (others are refused, as OpenAI does). */
const CHAT_FIELDS = [
  'model',
  'messages',
  'stream',
  'stream_options',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'seed',
  'stop',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'user',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'functions',
  'function_call',
  'response_format',
  'store',
  'metadata',
  'modalities',
  'service_tier',
  // vLLM's extras
  'top_k',
  'min_p',
  'repetition_penalty',
  'ignore_eos',
];

/** Fields OpenAI has that only some values of are served. */
function refuseUnsupportedValues(body: JsonBody): void {
  if (body['store'] === true) {
    throw invalidParam('store', "'store' is not supported: tensorgate keeps no completions");
  }
  const metadata = body['metadata'];
  if (
    metadata !== undefined &&
    metadata !== null &&
    (typeof metadata !== 'object' || Object.keys(metadata).length > 0)
  ) {
    throw invalidParam('metadata', "'metadata' is not supported (it tags stored completions; tensorgate stores none)");
  }
  const modalities = body['modalities'];
  if (modalities !== undefined && modalities !== null && JSON.stringify(modalities) !== '["text"]') {
    throw invalidParam('modalities', '\'modalities\' must be ["text"]: the models served generate text');
  }
  const tier = body['service_tier'];
  if (tier !== undefined && tier !== null && tier !== 'auto' && tier !== 'default') {
    throw invalidParam('service_tier', '\'service_tier\' must be "auto" or "default"');
  }
  readBoolean(body, 'parallel_tool_calls'); // at most one call per answer either way
}

/** `response_format` as `guided_decoding`, or undefined for text. */
function readResponseFormat(body: JsonBody): object | undefined {
  const format = body['response_format'];
  if (format === undefined || format === null) return undefined;
  const f = format as { type?: unknown; json_schema?: unknown };
  if (typeof format !== 'object' || Array.isArray(format)) {
    throw invalidParam('response_format', "'response_format' must be an object");
  }
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { json_object: true };
  if (f.type === 'json_schema') {
    const js = f.json_schema as { name?: unknown; schema?: unknown } | undefined;
    if (typeof js !== 'object' || js === null || typeof js.name !== 'string' || js.name === '') {
      throw invalidParam('response_format', "'response_format.json_schema' must be an object with a 'name'");
    }
    if (typeof js.schema !== 'object' || js.schema === null || Array.isArray(js.schema)) {
      throw invalidParam('response_format', "'response_format.json_schema.schema' must be a JSON Schema object");
    }
    return { json: js.schema };
  }
  throw invalidParam(
    'response_format',
    `'response_format.type' must be "text", "json_object" or "json_schema", got ${JSON.stringify(f.type)}`,
  );
}

/** Puts the tool descriptions into the system message (the first one, or a new one). */
function withTools(messages: ChatMessage[], tools: readonly ToolSpec[]): ChatMessage[] {
  const prompt = toolSystemPrompt(tools);
  if (messages[0]?.role === 'system') {
    return [{ role: 'system', content: `${messages[0].content}\n\n${prompt}` }, ...messages.slice(1)];
  }
  return [{ role: 'system', content: prompt }, ...messages];
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
    refuseUnknownFields(body, CHAT_FIELDS);
    const model = requireModel(body);
    let messages = readChatMessages(body['messages']);
    refuseUnsupportedValues(body);
    const tools = readTools(body);
    const choice = readToolChoice(body, tools);
    const mode = callModeFor(choice);
    const format = readResponseFormat(body);
    const n = readChoiceCount(body);
    const sampling = readSampling(body);
    if (mode !== 'content') messages = withTools(messages, tools);
    if (mode === 'forced') {
      if (format !== undefined) {
        throw invalidParam('response_format', "'response_format' cannot be combined with a forced 'tool_choice'");
      }
      sampling['guided_decoding'] = { json: toolCallSchema(tools, choice) };
    } else if (format !== undefined) sampling['guided_decoding'] = format;
    const logprobs = readBoolean(body, 'logprobs') ?? false;
    const top = readInteger(body, 'top_logprobs', 0, 20);
    if (top !== undefined && !logprobs) {
      throw invalidParam('top_logprobs', "'top_logprobs' needs 'logprobs': true");
    }
    if (logprobs) sampling['logprobs'] = top ?? 0;
    const user = readUser(body);
    if (user !== undefined) request.log.debug({ user }, 'OpenAI request user');
    const options = readStreamOptions(body);
    const config = resolveLlmModel(core, model, LLM_INPUTS.chat);
    await respond(
      reply,
      choiceSamplings(sampling, n).map(
        (s) => (signal: AbortSignal) =>
          generateChunks(core, { config, messages, stream: options.stream, sampling: s }, signal),
      ),
      options,
      chatRenderer(model, tools, mode),
    );
  };
}
