/**
 * Server-Sent Events encoding for streaming routes: `data: {json}` events, a named final event and
 * named error events, written straight to Node's response (fastify's reply is bypassed so each
 * event goes out as soon as it is written).
 */
import type { ServerResponse } from 'node:http';

/** The name of the last event of a successful stream. */
export const SSE_DONE_EVENT = 'done';
/** The name of the event that carries a failure after the stream began. */
export const SSE_ERROR_EVENT = 'error';

/**
 * Encodes one event. JSON text has no raw newlines, so one `data:` line always suffices.
 *
 * @example
 * ```ts
 * encodeSseEvent({ text: 'Hi' }) // 'data: {"text":"Hi"}\n\n'
 * encodeSseEvent({ responses: 3 }, 'done') // 'event: done\ndata: {"responses":3}\n\n'
 * ```
 */
export function encodeSseEvent(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** Writes events to one HTTP response, sending the headers with the first event. */
export class SseWriter {
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    /** Headers to send too, such as the CORS ones hooks set on fastify's reply before the hijack. */
    private readonly extraHeaders: Readonly<Record<string, string | string[]>> = {},
  ) {}

  /** Whether the headers (and so a 200 status) are already out. */
  get hasStarted(): boolean {
    return this.started;
  }

  /** Whether the client is gone or the stream was ended. */
  get isClosed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, {
      ...this.extraHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Reverse proxies such as nginx buffer replies unless told not to.
      'x-accel-buffering': 'no',
    });
  }

  /** Sends one event (ignored once the client is gone). */
  send(data: unknown, event?: string): void {
    if (this.isClosed) return;
    this.start();
    this.res.write(encodeSseEvent(data, event));
  }

  /** Sends a last event and ends the response. */
  end(data: unknown, event: string): void {
    this.send(data, event);
    if (!this.isClosed) this.res.end();
  }
}
