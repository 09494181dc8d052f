/**
 * Renders chat generations as `chat.completion` objects and `chat.completion.chunk` events,
 * with OpenAI's shapes for content, tool calls (tool-calls.ts: whole, or streamed as `tool_calls`
 * deltas: id, type and name first, then the arguments in pieces) and log-probabilities
 * (`logprobs.content`). Holds the per-choice state of one request's stream.
 */
import { randomUUID } from 'node:crypto';
import type { LlmChunk, TokenLogprob, Usage } from '../llm-generation.js';
import type { ChoiceResult, ChunkRenderer } from '../respond.js';
import { newToolCallId, parseToolCall, ToolCallStream, type ToolChoice, type ToolSpec } from './tool-calls.js';

/** How answers are read: as content, as a grammar-constrained call, or as a call if they look like one. */
export type CallMode = 'content' | 'forced' | 'auto';

/** The call mode for a `tool_choice`. */
export function callModeFor(choice: ToolChoice): CallMode {
  return choice.kind === 'none' ? 'content' : choice.kind === 'auto' ? 'auto' : 'forced';
}

interface ChoiceState {
  mode: CallMode;
  readonly calls: ToolCallStream;
  readonly id: string;
  /** auto mode: text held while it may still be a call. */
  held: string;
  heldLogprobs: TokenLogprob[];
}

function logprobsField(logprobs: readonly TokenLogprob[] | undefined): object | null {
  return logprobs === undefined ? null : { content: logprobs, refusal: null };
}

/**
 * The renderer of one chat request.
 *
 * @example
 * ```ts
 * await respond(reply, generators, options, chatRenderer('llm', tools, 'forced'));
 * ```
 */
export function chatRenderer(model: string, tools: readonly ToolSpec[], mode: CallMode): ChunkRenderer {
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, object: 'chat.completion.chunk', created, model };
  const states = new Map<number, ChoiceState>();
  const state = (index: number): ChoiceState => {
    let s = states.get(index);
    if (s === undefined) {
      s = { mode, calls: new ToolCallStream(), id: newToolCallId(), held: '', heldLogprobs: [] };
      states.set(index, s);
    }
    return s;
  };
  const event = (
    index: number,
    delta: object,
    finishReason: string | null,
    logprobs: readonly TokenLogprob[] | undefined,
    includeUsage: boolean,
  ): object => ({
    ...base,
    choices: [{ index, delta, finish_reason: finishReason, logprobs: logprobsField(logprobs) }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const callDelta = (s: ChoiceState, name: string | undefined, args: string): object => ({
    tool_calls: [
      name === undefined
        ? { index: 0, function: { arguments: args } }
        : { index: 0, id: s.id, type: 'function', function: { name, arguments: args } },
    ],
  });

  const toolEvents = (c: LlmChunk, index: number, s: ChoiceState, includeUsage: boolean): object[] => {
    const out: object[] = [];
    const pushed = s.calls.push(c.text);
    if (pushed.name !== undefined || pushed.args !== '') out.push(callDelta(s, pushed.name, pushed.args));
    if (c.final) {
      const rest = s.calls.end();
      if (rest.args !== '') out.push(callDelta(s, s.calls.started ? undefined : rest.name, rest.args));
    }
    const reason = c.final
      ? c.finishReason === 'stop' && s.calls.started
        ? 'tool_calls'
        : (c.finishReason ?? 'stop')
      : null;
    if (out.length === 0 && (c.final || c.logprobs !== undefined)) out.push({});
    return out.map((delta, i) =>
      event(index, delta, i === out.length - 1 ? reason : null, i === 0 ? c.logprobs : undefined, includeUsage),
    );
  };

  const autoEvents = (c: LlmChunk, index: number, s: ChoiceState, includeUsage: boolean): object[] => {
    s.held += c.text;
    if (c.logprobs !== undefined) s.heldLogprobs.push(...c.logprobs);
    const logprobs = c.logprobs === undefined && s.heldLogprobs.length === 0 ? undefined : s.heldLogprobs;
    const trimmed = s.held.trimStart();
    if (!c.final && (trimmed === '' || trimmed.startsWith('{'))) return [];
    const call = c.final ? parseToolCall(s.held, tools) : undefined;
    const text = s.held;
    s.held = '';
    s.heldLogprobs = [];
    if (call !== undefined) {
      const reason = c.finishReason === 'stop' ? 'tool_calls' : (c.finishReason ?? 'stop');
      return [event(index, callDelta(s, call.name, call.arguments), reason, logprobs, includeUsage)];
    }
    s.mode = 'content';
    const delta = text === '' ? {} : { content: text };
    return [event(index, delta, c.final ? (c.finishReason ?? 'stop') : null, logprobs, includeUsage)];
  };

  return {
    whole: (choices: readonly ChoiceResult[], usage: Usage) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: choices.map((c) => {
        const call = mode === 'content' ? undefined : parseToolCall(c.text, tools);
        const message =
          call === undefined
            ? { role: 'assistant', content: c.text, refusal: null }
            : {
                role: 'assistant',
                content: null,
                refusal: null,
                tool_calls: [
                  { id: state(c.index).id, type: 'function', function: { name: call.name, arguments: call.arguments } },
                ],
              };
        const finish = call !== undefined && c.finishReason === 'stop' ? 'tool_calls' : c.finishReason;
        return { index: c.index, message, finish_reason: finish, logprobs: logprobsField(c.logprobs) };
      }),
      usage,
    }),
    events: (c: LlmChunk, index: number, first: boolean, includeUsage: boolean) => {
      const s = state(index);
      const events: object[] = [];
      // As OpenAI does: the role comes first, in a chunk of its own.
      if (first) {
        const content = s.mode === 'forced' ? null : '';
        events.push(event(index, { role: 'assistant', content }, null, undefined, includeUsage));
      }
      if (s.mode === 'forced') events.push(...toolEvents(c, index, s, includeUsage));
      else if (s.mode === 'auto') events.push(...autoEvents(c, index, s, includeUsage));
      else {
        const delta = c.text === '' ? {} : { content: c.text };
        events.push(event(index, delta, c.final ? (c.finishReason ?? 'stop') : null, c.logprobs, includeUsage));
      }
      return events;
    },
    usage: (usage: Usage) => ({ ...base, choices: [], usage }),
  };
}
