/**
 * Starts the worker thread of one js-backend instance and turns what it says into a few events:
 * the hot-path packets, "loaded", "finalized", and its death once it had loaded. The instance
 * (js-instance.ts) decides what each means; this module only knows the worker's protocol.
 */
import type { Worker } from 'node:worker_threads';
import { InferenceError } from '../../core/errors.js';
import { SHARED_SLOTS } from './native-guard.js';
import type { Packet } from './wire-packet.js';
import { startWorker } from './worker-entry.js';
import type { WorkerInit, WorkerToMain } from './worker-messages.js';

/** What an instance hears from its worker. */
export interface InstanceWorkerEvents {
  /** A packet of responses, executions' ends and log lines. */
  packet(packet: Packet): void;
  /** The model loaded: the worker serves (called before {@link InstanceWorker.loaded} resolves). */
  ready(): void;
  /** The model's finalize() returned (or threw: `error`). */
  finalized(error: string | undefined): void;
  /** The worker died after it had loaded: `detail` says how; `outOfMemory` when its heap was full. */
  exited(detail: string, outOfMemory: boolean): void;
}

/** A started instance worker. */
export interface InstanceWorker {
  readonly worker: Worker;
  /**
   * Shared with the worker: slot 0 the watchdog's progress, slot 1 the native-call guard, slot 2
   * the heartbeat.
   */
  readonly shared: Int32Array;
  /** Resolves once the model loaded (undefined) or failed to load (the error, for the client). */
  readonly loaded: Promise<InferenceError | undefined>;
}

/**
 * Starts a worker running `init.modelFile`, with its old generation capped at `memoryLimitMb`
 * (0: V8's default). Events are delivered only while `current()` holds, so a worker that was
 * replaced (terminated by a limit, or stopped) is ignored from then on.
 *
 * @example
 * ```ts
 * const w = launchInstanceWorker(init, 'm_0', 1024, events, () => gen === this.generation);
 * const loadError = await w.loaded;
 * ```
 */
export function launchInstanceWorker(
  init: WorkerInit,
  name: string,
  memoryLimitMb: number,
  events: InstanceWorkerEvents,
  current: () => boolean,
): InstanceWorker {
  // V8 caps the old generation (where nearly everything a model keeps lives) and ends the worker
  // with ERR_WORKER_OUT_OF_MEMORY when it is full; ArrayBuffers are outside the heap and are
  // watched by the memory probe instead (memory-watch.ts).
  const limits = memoryLimitMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb } } : {};
  const shared = new Int32Array(new SharedArrayBuffer(4 * SHARED_SLOTS));
  const workerData: WorkerInit = { ...init, shared };
  const worker = startWorker({ workerData, name, ...limits });
  const model = init.args.model_name;
  const loaded = new Promise<InferenceError | undefined>((resolve) => {
    let phase: 'loading' | 'running' | 'failed' = 'loading';
    let lastError: Error | undefined;
    worker.on('message', (msg: WorkerToMain) => {
      if (!current()) return;
      switch (msg.type) {
        case 'packet':
          events.packet(msg);
          return;
        case 'ready':
          phase = 'running';
          events.ready();
          resolve(undefined);
          return;
        case 'init-error':
          phase = 'failed';
          resolve(new InferenceError(msg.code, `failed to load model '${model}': ${msg.message}`));
          void worker.terminate();
          return;
        case 'finalized':
          events.finalized(msg.error);
          return;
      }
    });
    worker.on('error', (err) => (lastError = err));
    worker.on('exit', (code) => {
      if (!current() || phase === 'failed') return;
      const detail = lastError ? `${lastError.name}: ${lastError.message}` : `its worker exited with code ${code}`;
      if (phase === 'loading') {
        resolve(new InferenceError('INTERNAL', `failed to load model '${model}': ${init.modelFile}: ${detail}`));
        return;
      }
      events.exited(detail, (lastError as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY');
    });
  });
  return { worker, shared, loaded };
}
