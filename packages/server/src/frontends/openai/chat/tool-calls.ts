/**
 * Function calling (`tools`, `tool_choice`) on models of the LLM contract, which take plain chat
 * messages. How a call is produced:
 * - the tool definitions go into the system message as text: each function's name, description
 *   and parameter schema, and the instruction to answer a call with only
 *   `{"name": "<function>", "arguments": {...}}`;
 * - `tool_choice` "required", or naming a function, constrains generation with a grammar
 *   (`guided_decoding.json`: one of the tools' `{name, arguments}` schemas), so the answer is a
 *   valid call whatever the model, and `finish_reason` is "tool_calls";
 * - "auto" (the default with tools) generates freely; an answer that is exactly such a JSON
 *   object naming a tool becomes a tool call, anything else is content. "none" never calls;
 * - earlier calls and results in `messages` (assistant `tool_calls`, `tool` messages) are written
 *   back into the conversation as that same JSON and as user turns reporting the result.
 * The model's own chat-template tool syntax is not used: the contract carries text messages only.
 */
import { randomBytes } from 'node:crypto';
import { invalidParam } from '../openai-errors.js';
import type { JsonBody } from '../request-fields.js';

/** One function the model may call. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string | undefined;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** What `tool_choice` asks for. */
export type ToolChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'auto' }
  | { readonly kind: 'required' }
  | { readonly kind: 'function'; readonly name: string };

/** A call parsed from the model's answer; `arguments` is JSON text, as OpenAI sends it. */
export interface ParsedToolCall {
  readonly name: string;
  readonly arguments: string;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const NO_PARAMETERS = Object.freeze({ type: 'object', properties: {} });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads `tools` (function tools only) and refuses the legacy `functions` / `function_call`.
 *
 * @example
 * ```ts
 * readTools({ tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] });
 * ```
 */
export function readTools(body: JsonBody): ToolSpec[] {
  for (const key of ['functions', 'function_call']) {
    if (body[key] !== undefined && body[key] !== null) {
      throw invalidParam(key, `'${key}' is deprecated by OpenAI and not supported: use 'tools' and 'tool_choice'`);
    }
  }
  const tools = body['tools'];
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidParam('tools', "'tools' must be an array");
  if (tools.length > 128) throw invalidParam('tools', "'tools' may hold at most 128 functions");
  const seen = new Set<string>();
  return tools.map((t: unknown, i) => {
    const where = `tools[${i}]`;
    if (!isObject(t) || t['type'] !== 'function' || !isObject(t['function'])) {
      throw invalidParam(
        where,
        `'${where}' must be {"type": "function", "function": {...}} (only function tools exist)`,
      );
    }
    const f = t['function'];
    const name = f['name'];
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw invalidParam(`${where}.function.name`, `'${where}.function.name' must match ${NAME.source}`);
    }
    if (seen.has(name)) throw invalidParam(`${where}.function.name`, `the function '${name}' is defined twice`);
    seen.add(name);
    const description = f['description'];
    if (description !== undefined && typeof description !== 'string') {
      throw invalidParam(`${where}.function.description`, `'${where}.function.description' must be a string`);
    }
    const parameters = f['parameters'] ?? NO_PARAMETERS;
    if (!isObject(parameters)) {
      throw invalidParam(`${where}.function.parameters`, `'${where}.function.parameters' must be a JSON Schema object`);
    }
    return { name, description, parameters };
  });
}

/** Reads `tool_choice` (default "auto" with tools, "none" without). */
export function readToolChoice(body: JsonBody, tools: readonly ToolSpec[]): ToolChoice {
  const v = body['tool_choice'];
  if (v === undefined || v === null) return { kind: tools.length > 0 ? 'auto' : 'none' };
  if (v === 'none' || v === 'auto' || v === 'required') {
    if (v !== 'none' && tools.length === 0) {
      throw invalidParam('tool_choice', `'tool_choice' "${v}" needs 'tools'`);
    }
    return { kind: v };
  }
  const name = isObject(v) && v['type'] === 'function' && isObject(v['function']) ? v['function']['name'] : undefined;
  if (typeof name !== 'string') {
    throw invalidParam(
      'tool_choice',
      `'tool_choice' must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}`,
    );
  }
  if (!tools.some((t) => t.name === name)) {
    throw invalidParam('tool_choice', `'tool_choice' names the function '${name}', which is not in 'tools'`);
  }
  return { kind: 'function', name };
}

/**
 * The system text describing the tools.
 *
 * @example
 * ```ts
 * toolSystemPrompt([{ name: 'now', description: 'The time', parameters: { type: 'object', properties: {} } }]);
 * ```
 */
export function toolSystemPrompt(tools: readonly ToolSpec[]): string {
  const lines = tools.map((t) =>
    JSON.stringify({
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      parameters: t.parameters,
    }),
  );
  return [
    '# Tools',
    'You may call one of the following functions. To call one, reply with only a JSON object',
    '{"name": "<function name>", "arguments": {<arguments matching its parameters>}} and nothing else.',
    ...lines,
  ].join('\n');
}

/** The JSON text a call is written as, in the prompt and by the model. */
export function toolCallText(name: string, args: string): string {
  let parsed: unknown = args;
  try {
    parsed = JSON.parse(args);
  } catch {
    // Kept as the string it is.
  }
  return JSON.stringify({ name, arguments: parsed });
}

/**
 * The JSON Schema of a call for `guided_decoding.json`: `{name, arguments}` of the chosen tool,
 * or one of every tool's for "required". `name` comes first, which the stream splitter relies on.
 */
export function toolCallSchema(tools: readonly ToolSpec[], choice: ToolChoice): object {
  const chosen = choice.kind === 'function' ? tools.filter((t) => t.name === choice.name) : tools;
  const schemas = chosen.map((t) => ({
    type: 'object',
    properties: { name: { const: t.name }, arguments: t.parameters },
    required: ['name', 'arguments'],
  }));
  return schemas.length === 1 ? schemas[0]! : { oneOf: schemas };
}

/** A fresh tool call id, `call_` and 24 random characters as OpenAI's. */
export function newToolCallId(): string {
  return `call_${randomBytes(18).toString('base64url')}`;
}

/**
 * Reads an answer as a call: a JSON object `{"name": <a tool>, "arguments": {...}}` and nothing
 * else. Undefined when the answer is anything else.
 */
export function parseToolCall(text: string, tools: readonly ToolSpec[]): ParsedToolCall | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(doc) || typeof doc['name'] !== 'string' || !isObject(doc['arguments'])) return undefined;
  const name = doc['name'];
  if (!tools.some((t) => t.name === name)) return undefined;
  return { name, arguments: JSON.stringify(doc['arguments']) };
}

const HEAD = /^\s*\{\s*"name"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"arguments"\s*:\s*/;

/**
 * Splits a grammar-constrained call, as it streams, into OpenAI's `tool_calls` deltas: the
 * function name once it is complete, then the raw text of `arguments` piece by piece. The
 * closing brace of the outer object is held back until the end (it cannot be told from the
 * arguments' own until then).
 */
export class ToolCallStream {
  private buffer = '';
  private name: string | undefined;
  private sent = 0;

  /** Feeds text; returns the name when it just became known and the new argument text. */
  push(text: string): { name?: string; args: string } {
    this.buffer += text;
    let name: string | undefined;
    if (this.name === undefined) {
      const head = HEAD.exec(this.buffer);
      if (head === null) return { args: '' };
      this.name = JSON.parse(`"${head[1]!}"`) as string;
      name = this.name;
      this.buffer = this.buffer.slice(head[0].length);
    }
    const safe = this.buffer.replace(/[\s}]*$/, '').length;
    const args = safe > this.sent ? this.buffer.slice(this.sent, safe) : '';
    this.sent = Math.max(this.sent, safe);
    return name === undefined ? { args } : { name, args };
  }

  /** Ends the stream: the rest of the arguments (the outer closing brace dropped), and the name if never seen. */
  end(): { name: string | undefined; args: string } {
    const body = this.buffer.replace(/\s*\}\s*$/, '');
    return { name: this.name, args: body.length > this.sent ? body.slice(this.sent) : '' };
  }

  /** Whether the head (`{"name": ..., "arguments":`) has been seen. */
  get started(): boolean {
    return this.name !== undefined;
  }
}
