/**
 * Writes a generation as an OpenAI answer: one JSON object, or Server-Sent Events (`data: {chunk}`
 * per piece of text, an optional usage chunk, then `data: [DONE]`). The status is decided by the
 * first chunk: a failure before it is an ordinary JSON error with its status; after it, an SSE
 * event `data: {"error": {...}}` (OpenAI's shape, which the SDKs raise as an APIError). A client that
 * disconnects cancels the generation.
 */
import type { FastifyReply } from 'fastify';
import type { LlmChunk, Usage } from './llm-generation.js';
import { toOpenAiFailure } from './openai-errors.js';
import type { StreamOptions } from './request-fields.js';
import { cancelOnDisconnect, SSE_HEADERS, writeSseData } from '../http-streaming.js';

/** How one endpoint family renders chunks. */
export interface ChunkRenderer {
  /** The non-streaming answer from the whole text and the final chunk. */
  whole(text: string, last: LlmChunk): object;
  /** The SSE payloads for one chunk (`first` is true for the first of the stream). */
  events(chunk: LlmChunk, first: boolean, includeUsage: boolean): object[];
  /** The extra last chunk of `stream_options.include_usage`. */
  usage(usage: Usage): object;
}

/**
 * Runs `generate` and writes its chunks as the answer.
 *
 * @example
 * ```ts
 * await respond(reply, (signal) => generateChunks(core, call, signal), { stream: true, includeUsage: false }, renderer);
 * ```
 */
export async function respond(
  reply: FastifyReply,
  generate: (signal: AbortSignal) => AsyncGenerator<LlmChunk>,
  options: StreamOptions,
  renderer: ChunkRenderer,
): Promise<void> {
  const controller = new AbortController();
  const res = reply.raw;
  const release = cancelOnDisconnect(res, controller);
  const chunks = generate(controller.signal);

  if (!options.stream) {
    let text = '';
    let last: LlmChunk | undefined;
    try {
      for await (const chunk of chunks) {
        text += chunk.text;
        if (chunk.final) last = chunk;
      }
    } finally {
      release();
    }
    last ??= {
      text: '',
      final: true,
      finishReason: 'stop',
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    };
    await reply
      .code(200)
      .type('application/json')
      .send(JSON.stringify(renderer.whole(text, last)));
    return;
  }

  let first: IteratorResult<LlmChunk>;
  try {
    first = await chunks.next();
  } catch (e) {
    release();
    throw e;
  }
  reply.hijack();
  res.writeHead(200, SSE_HEADERS);
  try {
    let next = first;
    let isFirst = true;
    while (!next.done && !res.destroyed) {
      const chunk = next.value;
      for (const event of renderer.events(chunk, isFirst, options.includeUsage))
        await writeSseData(res, JSON.stringify(event));
      isFirst = false;
      if (chunk.final) {
        if (options.includeUsage && chunk.usage !== undefined)
          await writeSseData(res, JSON.stringify(renderer.usage(chunk.usage)));
        break;
      }
      next = await chunks.next();
    }
    await writeSseData(res, '[DONE]');
  } catch (e) {
    if (!controller.signal.aborted) {
      await writeSseData(res, JSON.stringify(toOpenAiFailure(e).body));
      await writeSseData(res, '[DONE]');
    }
  } finally {
    if (res.destroyed && !controller.signal.aborted) controller.abort();
    release();
    await chunks.return(undefined);
    res.end();
  }
}
