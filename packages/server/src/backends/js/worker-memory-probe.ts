/**
 * Reads a worker thread's own memory (JavaScript heap used plus the ArrayBuffers it allocated)
 * from the main thread, even while the worker runs synchronous code.
 *
 * Node 20 has no `worker.getHeapStatistics()`, and `process.memoryUsage().arrayBuffers` counts
 * only the calling thread's allocations, so the number must be read inside the worker. Its event
 * loop may be blocked by the model, but its inspector is not: messages sent to a worker's
 * inspector session are dispatched through a V8 interrupt, which runs at the next stack check of
 * whatever JavaScript the worker is executing (a loop, a function call). This module keeps one
 * in-process inspector session (no port is opened) with the NodeWorker domain enabled, which
 * attaches a session to every worker thread of the process, and asks a worker to evaluate
 * `process.memoryUsage()`. Measured on Node 20: about 0.4 ms per answer from a worker spinning in
 * a loop; a worker inside one long builtin call (filling a 100 MB typed array: ~45 ms) answers when
 * that call returns.
 *
 * ArrayBuffers a worker receives by transfer stay counted by the thread that allocated them (the
 * main thread for request inputs), so a model's inputs do not count against its cap; the outputs
 * it allocates count until they are freed on the main thread after the response is sent.
 *
 * Hand-written on node:inspector because no library offers this; if the inspector cannot be used
 * (a Node built without it), {@link WorkerMemoryProbe.measure} answers undefined and only the heap
 * cap applies.
 */
import { Session } from 'node:inspector';
import type { Logger } from 'pino';
import { backgroundClock } from '../../core/clock.js';

/** What the worker evaluates: its heap in use plus the ArrayBuffers it allocated, bytes. */
const EXPRESSION = '(() => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; })()';

/** How long a measurement may take before it counts as unanswered. */
const PROBE_TIMEOUT_MS = 5_000;

interface InspectorReply {
  readonly id?: number;
  readonly result?: { readonly result?: { readonly value?: unknown } };
}

/**
 * @example
 * ```ts
 * const bytes = await workerMemoryProbe.measure(worker.threadId); // undefined if not available
 * ```
 */
export class WorkerMemoryProbe {
  private session: Session | undefined;
  private disabled = false;
  /** Inspector session id of each attached worker, by thread id. */
  private readonly sessions = new Map<number, string>();
  private readonly waiting = new Map<number, { readonly sessionId: string; resolve(v: number | undefined): void }>();
  private nextId = 1;

  /**
   * Starts the in-process inspector session (once); workers started before or after attach.
   * Logs once and disables itself if the inspector is unavailable.
   */
  start(logger: Logger): void {
    if (this.session || this.disabled) return;
    try {
      const session = new Session();
      session.connect();
      session.on('NodeWorker.attachedToWorker', (m) => {
        const { sessionId, workerInfo } = m.params;
        this.sessions.set(Number(workerInfo.workerId), sessionId);
      });
      session.on('NodeWorker.detachedFromWorker', (m) => this.detached(m.params.sessionId));
      session.on('NodeWorker.receivedMessageFromWorker', (m) => this.received(m.params.message));
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false }, (err) => {
        if (err) this.disable(logger, err);
      });
      this.session = session;
    } catch (err) {
      this.disable(logger, err);
    }
  }

  /**
   * The worker's JavaScript heap in use plus the ArrayBuffers it allocated, in bytes; undefined
   * when it cannot be read (no inspector, the worker is not attached yet or has exited, or no
   * answer within a few seconds).
   */
  measure(threadId: number): Promise<number | undefined> {
    const session = this.session;
    const sessionId = this.sessions.get(threadId);
    if (!session || sessionId === undefined) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const cancelTimeout = backgroundClock.setTimer(() => this.settle(id, undefined), PROBE_TIMEOUT_MS);
      this.waiting.set(id, {
        sessionId,
        resolve: (v) => {
          cancelTimeout();
          resolve(v);
        },
      });
      const message = JSON.stringify({
        id,
        method: 'Runtime.evaluate',
        params: { expression: EXPRESSION, returnByValue: true, silent: true },
      });
      session.post('NodeWorker.sendMessageToWorker', { sessionId, message }, (err) => {
        if (err) this.settle(id, undefined);
      });
    });
  }

  private received(message: string): void {
    let reply: InspectorReply;
    try {
      reply = JSON.parse(message) as InspectorReply;
    } catch {
      return;
    }
    if (reply.id === undefined) return; // an event, not an answer
    const value = reply.result?.result?.value;
    this.settle(reply.id, typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  }

  private settle(id: number, value: number | undefined): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w.resolve(value);
  }

  private detached(sessionId: string): void {
    for (const [threadId, s] of this.sessions) if (s === sessionId) this.sessions.delete(threadId);
    for (const [id, w] of this.waiting) if (w.sessionId === sessionId) this.settle(id, undefined);
  }

  private disable(logger: Logger, err: unknown): void {
    this.disabled = true;
    this.session = undefined;
    logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'the inspector is unavailable: memory_limit_mb caps the JavaScript heap of model instances only, not their ArrayBuffers',
    );
  }
}

/** The probe shared by every instance of the process (one inspector session). */
export const workerMemoryProbe: WorkerMemoryProbe = new WorkerMemoryProbe();
