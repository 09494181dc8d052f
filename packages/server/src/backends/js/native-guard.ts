/**
 * Keeps `worker.terminate()` out of native calls. Terminating a worker while it is inside a
 * synchronous native call can abort the whole process: measured with onnxruntime-node 1.30, a
 * worker terminated during `session.run` ends the server with "terminate called after throwing an
 * instance of 'Napi::Error'" (the addon throws a C++ exception once V8 refuses its calls and never
 * catches it). So code that calls into native code wraps the call in {@link guardedNativeCall},
 * and the main thread terminates a worker only through {@link requestTermination}, which waits
 * until the worker is outside such a call and stops it from entering another.
 *
 * The state is one Int32 shared by the two threads (slot {@link GUARD_SLOT} of the instance's
 * shared array), moved only by compare-and-exchange:
 * - `IN_JS` (0) → `IN_NATIVE` (1): the worker enters a guarded call;
 * - `IN_NATIVE` → `IN_JS`: it leaves it;
 * - `IN_JS` → `TERMINATING` (2): the main thread may terminate now; the worker enters no more calls;
 * - `IN_NATIVE` → `TERMINATE_PENDING` (3): the main thread waits; the worker, leaving the call,
 *   moves it to `TERMINATING`.
 */

import type { Worker } from 'node:worker_threads';

/** Index of the guard in the instance's shared Int32Array (slot 0 is the watchdog's progress). */
export const GUARD_SLOT = 1;
/**
 * Index of the heartbeat in the instance's shared Int32Array: the worker bumps it while its model
 * waits on calls to other models, so the watchdog can tell waiting from a blocked thread.
 */
export const HEARTBEAT_SLOT = 2;
/** Length of the instance's shared Int32Array: progress, guard, heartbeat. */
export const SHARED_SLOTS = 3;

const IN_JS = 0;
const IN_NATIVE = 1;
const TERMINATING = 2;
const TERMINATE_PENDING = 3;

/** The worker's shared array (set by the worker entry; absent outside a worker). */
let shared: Int32Array | undefined;

/** Worker side: the shared array to guard with (called once by the worker entry). */
export function setNativeGuard(array: Int32Array | undefined): void {
  shared = array;
}

/**
 * Worker side: runs `call`, which goes into native code that must not be interrupted by a
 * termination (e.g. an ONNX Runtime session run). Throws without calling it once the instance is
 * being terminated.
 *
 * @example
 * ```ts
 * const results = await guardedNativeCall(() => session.run(feeds));
 * ```
 */
export async function guardedNativeCall<T>(call: () => Promise<T>): Promise<T> {
  const s = shared;
  if (!s) return call();
  if (Atomics.compareExchange(s, GUARD_SLOT, IN_JS, IN_NATIVE) !== IN_JS) {
    throw new Error('the model instance is being terminated');
  }
  try {
    return await call();
  } finally {
    if (Atomics.compareExchange(s, GUARD_SLOT, IN_NATIVE, IN_JS) === TERMINATE_PENDING) {
      Atomics.store(s, GUARD_SLOT, TERMINATING);
    }
  }
}

/**
 * Main thread side: true when the worker may be terminated now (it is not inside a guarded native
 * call and will enter none); false while it is inside one (call again later: the worker marks the
 * state terminable when the call returns).
 */
export function requestTermination(s: Int32Array): boolean {
  for (;;) {
    const state = Atomics.load(s, GUARD_SLOT);
    if (state === TERMINATING) return true;
    if (state === TERMINATE_PENDING) return false;
    const next = state === IN_JS ? TERMINATING : TERMINATE_PENDING;
    if (Atomics.compareExchange(s, GUARD_SLOT, state, next) === state) return next === TERMINATING;
    // The worker entered or left a call in between: look again.
  }
}

/**
 * Main thread side: terminates `worker` (whose shared array is `shared`) as soon as it is outside
 * a guarded native call, looking again every `pollMs`. Resolves once it has exited, or after
 * `giveUpMs` regardless: a native call that runs on keeps its thread, and its memory, until it
 * returns, and the worker is terminated then.
 *
 * @example
 * ```ts
 * await terminateOutsideNative(worker, shared, (fn, ms) => clock.setTimer(fn, ms), 20, 5000);
 * ```
 */
export function terminateOutsideNative(
  worker: Pick<Worker, 'terminate'>,
  shared: Int32Array,
  setTimer: (fn: () => void, ms: number) => () => void,
  pollMs: number,
  giveUpMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const giveUp = setTimer(resolve, giveUpMs);
    const done = (): void => {
      giveUp();
      resolve();
    };
    const attempt = (): void => {
      if (requestTermination(shared)) worker.terminate().then(done, done);
      else setTimer(attempt, pollMs);
    };
    attempt();
  });
}
