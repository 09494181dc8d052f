/**
 * Decodes the tensors of the LLM interface (Triton's vLLM-backend inputs plus `chat_messages`)
 * into one generation request, failing with INVALID_ARG on anything malformed.
 */
import { decodeBytesElements } from '@tensorgate/protocol';
import type { Tensor } from '../../core/types.js';
import { invalidArg } from '../../core/errors.js';
import { assertJsonLimits } from '../../core/json-limits.js';
import { parseSamplingParameters, type SamplingParameters } from './sampling-parameters.js';

/** A chat message of `chat_messages`. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One decoded generation request. */
export interface GenerationRequest {
  /** The prompt (`text_input`), or undefined for a chat request. */
  readonly prompt: string | undefined;
  /** The conversation (`chat_messages`), rendered with the model's chat template. */
  readonly chat: readonly ChatMessage[] | undefined;
  /** One response per text chunk, then a final one. */
  readonly stream: boolean;
  /** Whether a non-streamed text_input response repeats the prompt (vLLM's default: yes). */
  readonly includePrompt: boolean;
  readonly sampling: SamplingParameters;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function single(t: Tensor): Uint8Array {
  const elements = t.datatype === 'BYTES' ? decodeBytesElements(t.data) : [];
  if (elements.length !== 1) throw invalidArg(`input '${t.name}' must hold exactly one string element`);
  return elements[0]!;
}

function text(t: Tensor): string {
  try {
    return decoder.decode(single(t));
  } catch (e) {
    if (e instanceof TypeError) throw invalidArg(`input '${t.name}' is not valid UTF-8`);
    throw e;
  }
}

function bool(t: Tensor): boolean {
  if (t.datatype !== 'BOOL' || t.data.length !== 1) throw invalidArg(`input '${t.name}' must be one BOOL element`);
  return t.data[0] !== 0;
}

/** Accepts OpenAI-style content: a string, or an array of `{type: "text", text}` parts. */
function messageContent(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        const p = part as { type?: unknown; text?: unknown } | null;
        if (p?.type !== 'text' || typeof p.text !== 'string') {
          throw invalidArg(
            `chat_messages[${i}].content: only text parts ({"type": "text", "text": "..."}) are supported`,
          );
        }
        return p.text;
      })
      .join('');
  }
  throw invalidArg(`chat_messages[${i}].content must be a string`);
}

/**
 * Parses the JSON of `chat_messages`: a non-empty array of `{role, content}` with role
 * system, user or assistant.
 *
 * @example
 * ```ts
 * parseChatMessages('[{"role": "user", "content": "Hi"}]');
 * ```
 */
export function parseChatMessages(json: string): ChatMessage[] {
  assertJsonLimits(json, 'chat_messages');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw invalidArg(`chat_messages is not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw invalidArg('chat_messages must be a non-empty JSON array');
  return parsed.map((m: unknown, i) => {
    const msg = m as { role?: unknown; content?: unknown } | null;
    if (typeof msg !== 'object' || msg === null) throw invalidArg(`chat_messages[${i}] must be an object`);
    const role = msg.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw invalidArg(`chat_messages[${i}].role must be "system", "user" or "assistant", got ${JSON.stringify(role)}`);
    }
    return { role, content: messageContent(msg.content, i) };
  });
}

/**
 * Whether the request asks for streamed chunks (`stream` true). A malformed `stream` input counts as
 * not streamed here; decoding the request later reports it.
 *
 * @example
 * ```ts
 * streamRequested(request.inputs); // false → one response: unary APIs may serve it
 * ```
 */
export function streamRequested(inputs: readonly Tensor[]): boolean {
  const t = inputs.find((i) => i.name === 'stream');
  return t !== undefined && t.datatype === 'BOOL' && t.data.length === 1 && t.data[0] !== 0;
}

/**
 * Builds the generation request from the request's input tensors.
 *
 * @example
 * ```ts
 * const g = decodeGenerationRequest(request.inputs); // g.prompt, g.stream, g.sampling.maxTokens
 * ```
 */
export function decodeGenerationRequest(inputs: readonly Tensor[]): GenerationRequest {
  let prompt: string | undefined;
  let chat: ChatMessage[] | undefined;
  let stream = false;
  let excludeInput = false;
  let sampling: string | undefined;
  for (const t of inputs) {
    switch (t.name) {
      case 'text_input':
        prompt = text(t);
        break;
      case 'chat_messages':
        chat = parseChatMessages(text(t));
        break;
      case 'stream':
        stream = bool(t);
        break;
      case 'exclude_input_in_output':
        excludeInput = bool(t);
        break;
      case 'sampling_parameters':
        sampling = text(t);
        break;
      default:
        break;
    }
  }
  if (prompt !== undefined && chat !== undefined) throw invalidArg('give text_input or chat_messages, not both');
  if (prompt === undefined && chat === undefined) throw invalidArg('one of text_input or chat_messages is required');
  return {
    prompt,
    chat,
    stream,
    includePrompt: prompt !== undefined && !excludeInput && !stream,
    sampling: parseSamplingParameters(sampling),
  };
}
