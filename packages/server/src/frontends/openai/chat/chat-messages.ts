/**
 * Reads OpenAI chat `messages` into the contract's `chat_messages` form, `[{role, content}]` with
 * string content: an array of `{type: "text", text}` parts is joined with newlines; images, audio,
 * files and tool messages are refused with a 400 (the contract carries text only).
 */
import { invalidParam } from '../openai-errors.js';

/** One message as the model receives it. */
export interface ChatMessage {
  role: string;
  content: string;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant']);

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
  return messages.map((m: unknown, i) => {
    const where = `messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw invalidParam(where, `'${where}' must be an object`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw invalidParam(
        `${where}.role`,
        `'${where}.role' must be one of system, developer, user, assistant (tools are not supported), got ${JSON.stringify(role)}`,
      );
    }
    return { role: role === 'developer' ? 'system' : role, content: readContent(content, where, role) };
  });
}
