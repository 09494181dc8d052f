/**
 * A Server-Sent Events parser (the `text/event-stream` format of the WHATWG HTML standard), for
 * the generate extension's `/generate_stream`. Written by hand because it is small, must run in
 * browsers and Node alike on a fetch body, and EventSource cannot POST.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, 'message' when absent. */
  readonly event: string;
  /** The `data:` lines joined with '\n'. */
  readonly data: string;
  /** The last `id:` seen, '' when none. */
  readonly id: string;
}

/**
 * Incremental parser: feed decoded text in chunks of any size; complete events come out.
 *
 * @example
 * ```ts
 * const p = new SseParser();
 * p.push('data: {"a":1}\n'); // []
 * p.push('\n'); // [{ event: 'message', data: '{"a":1}', id: '' }]
 * ```
 */
export class SseParser {
  private buffer = '';
  private skipLeadingLf = false;
  private data: string[] = [];
  private eventType = '';
  private lastId = '';

  /** Parses a chunk; returns the events it completes. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let chunk = text;
    if (this.skipLeadingLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLeadingLf = false;
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      const line = this.buffer.slice(start, end);
      start = end + 1;
      if (end === cr) {
        // CRLF is one line end; a CR last in the chunk may be followed by the LF in the next one.
        if (start < this.buffer.length) {
          if (this.buffer[start] === '\n') start++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Ends the stream: an event without its closing blank line is dropped, as the standard says. */
  end(): SseEvent[] {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    return [];
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined; // comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default: // 'retry' and unknown fields: ignored (no reconnection here)
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const had = this.data.length > 0;
    const event: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n'), id: this.lastId };
    this.data = [];
    this.eventType = '';
    return had ? event : undefined;
  }
}

/**
 * Reads every event of an event-stream body.
 *
 * @example
 * ```ts
 * for await (const e of readSseEvents(response.body!)) console.log(JSON.parse(e.data));
 * ```
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    parser.end();
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
