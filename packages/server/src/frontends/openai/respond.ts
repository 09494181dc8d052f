/**
 * Writes generations as an OpenAI answer: one JSON object, or Server-Sent Events (`data: {chunk}`
 * per piece of text, an optional usage chunk, then `data: [DONE]`). A request with `n` > 1 runs `n`
 * generations at once (one per choice); their chunks are interleaved in the stream as they come,
 * each carrying its choice `index`, as OpenAI's do. The status is decided by the first chunk: a
 * failure before it is an ordinary JSON error with its status; after it, an SSE event
 * `data: {"error": {...}}` (OpenAI's shape, which the SDKs raise as an APIError). A client that
 * disconnects cancels every generation of the request.
 */
import type { FastifyReply } from 'fastify';
import type { LlmChunk, TokenLogprob, Usage } from './llm-generation.js';
import { toOpenAiFailure } from './openai-errors.js';
import type { StreamOptions } from './request-fields.js';
import type { ServerResponse } from 'node:http';
import { cancelOnDisconnect, SSE_HEADERS, writeSseData } from '../http-streaming.js';

/** One finished choice of a non-streamed answer. */
export interface ChoiceResult {
  readonly index: number;
  readonly text: string;
  readonly finishReason: string;
  /** Every token's log-probability, when the request asked for them. */
  readonly logprobs: readonly TokenLogprob[] | undefined;
}

/** How one endpoint family renders chunks. */
export interface ChunkRenderer {
  /** The non-streaming answer from every choice and the summed usage. */
  whole(choices: readonly ChoiceResult[], usage: Usage): object;
  /** The SSE payloads for one chunk of choice `index` (`first`: the first chunk of that choice). */
  events(chunk: LlmChunk, index: number, first: boolean, includeUsage: boolean): object[];
  /** The extra last chunk of `stream_options.include_usage`. */
  usage(usage: Usage): object;
}

/** One generation per choice. */
export type ChoiceGenerator = (signal: AbortSignal) => AsyncGenerator<LlmChunk>;

interface Tagged {
  readonly index: number;
  readonly chunk: LlmChunk;
}

/** Interleaves the chunks of several generations as they arrive. */
async function* interleave(generators: ReadonlyArray<AsyncGenerator<LlmChunk>>): AsyncGenerator<Tagged> {
  type Step = { index: number; result: IteratorResult<LlmChunk> };
  const pending = new Map<number, Promise<Step>>();
  const pull = (index: number): void => {
    const step = generators[index]!.next().then((result) => ({ index, result }));
    step.catch(() => {}); // a later failure of a generation left behind is not unhandled
    pending.set(index, step);
  };
  generators.forEach((_, i) => pull(i));
  while (pending.size > 0) {
    const { index, result } = await Promise.race(pending.values());
    if (result.done === true) {
      pending.delete(index);
      continue;
    }
    if (result.value.final) pending.delete(index);
    else pull(index);
    yield { index, chunk: result.value };
  }
}

/** One generation, tagged as choice 0 (no racing needed). */
async function* single(generator: AsyncGenerator<LlmChunk>): AsyncGenerator<Tagged> {
  for await (const chunk of generator) yield { index: 0, chunk };
}

/** Merges adjacent chunks of the same choice (text and log-probabilities joined; the last one's end). */
function coalesce(batch: readonly Tagged[]): Tagged[] {
  const out: Tagged[] = [];
  for (const t of batch) {
    const prev = out[out.length - 1];
    if (prev === undefined || prev.index !== t.index || prev.chunk.final) {
      out.push(t);
      continue;
    }
    const logprobs =
      prev.chunk.logprobs === undefined && t.chunk.logprobs === undefined
        ? undefined
        : [...(prev.chunk.logprobs ?? []), ...(t.chunk.logprobs ?? [])];
    const chunk = { ...t.chunk, text: prev.chunk.text + t.chunk.text, ...(logprobs ? { logprobs } : {}) };
    out[out.length - 1] = { index: t.index, chunk };
  }
  return out;
}

/**
 * Writes SSE events in one write and waits while the socket's buffer is full (backpressure, as
 * writeSseData). Resolves to true when it had to wait: the client lags.
 */
async function writeEvents(res: ServerResponse, payloads: readonly string[]): Promise<boolean> {
  if (res.destroyed || payloads.length === 0) return false;
  let text = '';
  for (const p of payloads) text += `data: ${p}\n\n`;
  if (res.write(text)) return false;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
  return true;
}

const NOTHING_YET = Symbol('nothing yet');

/** Usage of several choices: the prompt once, the completions summed (OpenAI's rule). */
function addUsage(total: Usage | undefined, u: Usage): Usage {
  if (total === undefined) return { ...u };
  const completion = total.completion_tokens + u.completion_tokens;
  return {
    prompt_tokens: total.prompt_tokens,
    completion_tokens: completion,
    total_tokens: total.prompt_tokens + completion,
  };
}

const NO_USAGE: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/**
 * Runs the generations and writes their chunks as the answer.
 *
 * @example
 * ```ts
 * await respond(reply, [(signal) => generateChunks(core, call, signal)], { stream: true, includeUsage: false }, renderer);
 * ```
 */
export async function respond(
  reply: FastifyReply,
  generate: readonly ChoiceGenerator[],
  options: StreamOptions,
  renderer: ChunkRenderer,
): Promise<void> {
  const controller = new AbortController();
  const res = reply.raw;
  const release = cancelOnDisconnect(res, controller);
  const generators = generate.map((g) => g(controller.signal));
  const chunks = generators.length === 1 ? single(generators[0]!) : interleave(generators);
  const closeAll = async (): Promise<void> => {
    if (!controller.signal.aborted) controller.abort();
    await Promise.allSettled(generators.map((g) => g.return(undefined)));
  };

  if (!options.stream) {
    const texts = generate.map(() => '');
    const logprobs = generate.map((): TokenLogprob[] => []);
    const reasons = generate.map(() => 'stop');
    let usage: Usage | undefined;
    let anyLogprobs = false;
    try {
      for await (const { index, chunk } of chunks) {
        texts[index] += chunk.text;
        if (chunk.logprobs !== undefined) {
          anyLogprobs = true;
          logprobs[index]!.push(...chunk.logprobs);
        }
        if (chunk.final) {
          reasons[index] = chunk.finishReason ?? 'stop';
          if (chunk.usage !== undefined) usage = addUsage(usage, chunk.usage);
        }
      }
    } catch (e) {
      await closeAll();
      throw e;
    } finally {
      release();
    }
    const choices = texts.map((text, index) => ({
      index,
      text,
      finishReason: reasons[index]!,
      logprobs: anyLogprobs ? logprobs[index] : undefined,
    }));
    await reply
      .code(200)
      .type('application/json')
      .send(JSON.stringify(renderer.whole(choices, usage ?? NO_USAGE)));
    return;
  }

  let first: IteratorResult<Tagged>;
  try {
    first = await chunks.next();
  } catch (e) {
    release();
    await closeAll();
    throw e;
  }
  reply.hijack();
  res.writeHead(200, SSE_HEADERS);
  const started = new Set<number>();
  let usage: Usage | undefined;
  try {
    let pending: Promise<IteratorResult<Tagged>> | undefined;
    let batch: Tagged[] = first.done === true ? [] : [first.value];
    let done = first.done === true;
    while (batch.length > 0 && !res.destroyed) {
      const payloads: string[] = [];
      for (const { index, chunk } of coalesce(batch)) {
        for (const event of renderer.events(chunk, index, !started.has(index), options.includeUsage)) {
          payloads.push(JSON.stringify(event));
        }
        started.add(index);
        if (chunk.final && chunk.usage !== undefined) usage = addUsage(usage, chunk.usage);
      }
      // A full socket buffer means the client lags: writeEvents waits for it, and whatever
      // arrived meanwhile goes out together, as one write of coalesced events.
      const lagging = await writeEvents(res, payloads);
      if (done) break;
      batch = [];
      const r = await (pending ?? chunks.next());
      pending = undefined;
      if (r.done === true) break;
      batch.push(r.value);
      while (lagging) {
        pending = chunks.next();
        pending.catch(() => {}); // awaited below or, if the loop ends first, dropped with the stream
        const more = await Promise.race([
          pending,
          new Promise<typeof NOTHING_YET>((r) => setImmediate(r, NOTHING_YET)),
        ]);
        if (more === NOTHING_YET) break;
        pending = undefined;
        if (more.done === true) {
          done = true;
          break;
        }
        batch.push(more.value);
      }
    }
    if (options.includeUsage && usage !== undefined) await writeSseData(res, JSON.stringify(renderer.usage(usage)));
    await writeSseData(res, '[DONE]');
  } catch (e) {
    if (!controller.signal.aborted) {
      await writeSseData(res, JSON.stringify(toOpenAiFailure(e).body));
      await writeSseData(res, '[DONE]');
    }
  } finally {
    if (res.destroyed && !controller.signal.aborted) controller.abort();
    release();
    await closeAll();
    res.end();
  }
}
