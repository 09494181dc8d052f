/**
 * Reads OpenAI chat `messages` into the contract's `chat_messages` form, `[{role, content}]` with
 * string content: an array of `{type: "text", text}` parts is joined with newlines; images, audio
 * and files are refused with a 400 (the contract carries text only). Function calling history is
 * written as text (tool-calls.ts): an assistant's `tool_calls` as the JSON of each call, a `tool`
 * message as a user turn reporting the result.
 */
import { invalidParam } from '../openai-errors.js';
import { toolCallText } from './tool-calls.js';

/** One message as the model receives it. */
export interface ChatMessage {
  role: string;
  content: string;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function readContent(content: unknown, where: string, role: string): string {
  if (typeof content === 'string') return content;
  if ((content === null || content === undefined) && role === 'assistant') return '';
  if (!Array.isArray(content)) {
    throw invalidParam(`${where}.content`, `'${where}.content' must be a string or an array of text parts`);
  }
  return content
    .map((part: unknown, j) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (p === null || typeof p !== 'object' || p.type !== 'text' || typeof p.text !== 'string') {
        const type = p !== null && typeof p === 'object' ? String(p.type) : typeof part;
        throw invalidParam(
          `${where}.content[${j}]`,
          `content part '${type}' is not supported: only {"type": "text", "text": "..."} parts are`,
        );
      }
      return p.text;
    })
    .join('\n');
}

/**
 * Validates `messages` and flattens their content. `developer` (OpenAI's newer name for the system
 * role) becomes `system`, the role chat templates know.
 *
 * @example
 * ```ts
 * readChatMessages([{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]) // [{ role: 'user', content: 'Hi' }]
 * ```
 */
export function readChatMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidParam('messages', "'messages' must be a non-empty array");
  }
  const callNames = new Map<string, string>();
  return messages.map((m: unknown, i) => {
    const where = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw invalidParam(where, `'${where}' must be an object`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalidParam(
        `${where}.role`,
        `'${where}.role' must be one of system, developer, user, assistant, tool, got ${JSON.stringify(role)}`,
      );
    }
    if (role === 'tool') {
      const id = (m as { tool_call_id?: unknown }).tool_call_id;
      if (typeof id !== 'string' || id === '') {
        throw invalidParam(`${where}.tool_call_id`, `'${where}.tool_call_id' must name the call this result answers`);
      }
      const name = callNames.get(id);
      const result = readContent(content, where, role);
      return { role: 'user', content: `Result of the call ${id}${name === undefined ? '' : ` to ${name}`}: ${result}` };
    }
    let text = readContent(content, where, role);
    const calls = (m as { tool_calls?: unknown }).tool_calls;
    if (calls !== undefined && calls !== null) {
      if (role !== 'assistant' || !Array.isArray(calls)) {
        throw invalidParam(`${where}.tool_calls`, `'${where}.tool_calls' must be an array on an assistant message`);
      }
      const lines = calls.map((c: unknown, j) => {
        const call = c as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } } | null;
        const f = call?.function;
        if (call?.type !== 'function' || typeof f?.name !== 'string' || typeof f.arguments !== 'string') {
          throw invalidParam(
            `${where}.tool_calls[${j}]`,
            `'${where}.tool_calls[${j}]' must be {"id", "type": "function", "function": {"name", "arguments"}}`,
          );
        }
        if (typeof call.id === 'string') callNames.set(call.id, f.name);
        return toolCallText(f.name, f.arguments);
      });
      text = [text, ...lines].filter((line) => line !== '').join('\n');
    }
    return { role: role === 'developer' ? 'system' : role, content: text };
  });
}
