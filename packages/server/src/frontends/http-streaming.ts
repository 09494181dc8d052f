/**
 * Response plumbing shared by the frontends that answer over Node's HTTP response (the KServe v2
 * routes, the generate extension and the OpenAI API): cancelling a request when its client goes
 * away, and writing Server-Sent Events with backpressure.
 */
import type { ServerResponse } from 'node:http';

/** Headers of an SSE reply. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/**
 * Aborts `controller` when the client goes away before the reply is complete; returns the function
 * that stops listening (call it once the request is over).
 *
 * @example
 * ```ts
 * const release = cancelOnDisconnect(reply.raw, controller);
 * try { await run(controller.signal); } finally { release(); }
 * ```
 */
export function cancelOnDisconnect(res: ServerResponse, controller: { abort(): void }): () => void {
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  // The client may already be gone: its 'close' came while the body was still being read or
  // decoded (decompression runs on the thread pool), before this listener existed.
  if (res.destroyed) controller.abort();
  return () => res.off('close', onClose);
}

/**
 * Writes one SSE event `data: <data>` and waits while the socket's buffer is full, so a slow
 * client slows the stream instead of growing memory. Does nothing once the client is gone.
 *
 * @example
 * ```ts
 * await writeSseData(res, JSON.stringify(chunk));
 * ```
 */
export async function writeSseData(res: ServerResponse, data: string): Promise<void> {
  if (res.destroyed) return;
  if (!res.write(`data: ${data}\n\n`)) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    });
  }
}
