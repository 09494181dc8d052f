/**
 * Runs one batch of the sequence batcher on an instance: takes each slot's front request off its
 * sequence's queue (or builds a null request for an empty slot), hands the model inputs to the
 * instance, and reports the outcome to every real request and then to the scheduler.
 */
import type { ExecutionRequest, ExecutionTimings, ModelInstance } from '../../../backend-api/backend.js';
import { InferenceError } from '../../errors.js';
import { assembleModelInputs, nullRequest } from './sequence-inputs.js';
import type { PendingRequest } from './sequence-record.js';
import type { SequenceSettings } from './sequence-settings.js';
import { withImplicitState } from './state-injection.js';
import type { SequenceStateStore } from './state-store.js';

/** How an execution ended. */
export type BatchOutcome = { timings: ExecutionTimings } | { error: InferenceError };

/**
 * Executes `slots` (undefined = an empty `direct` slot) on `instance`. Every real request is marked
 * in flight and started at `nowNs`; when the execution settles, each gets `onExecuted`, then
 * `settled` runs (even if a callback threw) with the requests that ran. With implicit state
 * (`states`), each request carries its sequence's states (state-injection.ts) and an empty slot
 * zero states; a request whose states cannot be fed is dropped with that error, and when no
 * request is left nothing executes (`settled` gets no requests and the error).
 *
 * @example
 * ```ts
 * executeBatch(lane.instance, decision.slots, settings, clock.nowNs(), (taken, outcome) => afterBatch(lane, taken, outcome));
 * ```
 */
export function executeBatch(
  instance: ModelInstance,
  slots: readonly (PendingRequest | undefined)[],
  settings: SequenceSettings,
  nowNs: number,
  settled: (taken: readonly PendingRequest[], outcome: BatchOutcome) => void,
  states?: SequenceStateStore,
): void {
  const taken: PendingRequest[] = [];
  const requests: ExecutionRequest[] = [];
  let like: ExecutionRequest | undefined;
  for (const p of slots) if (p) like ??= p.job.request;
  let refused: InferenceError | undefined;
  for (const p of slots) {
    if (!p) {
      const empty = nullRequest(settings, like!);
      // An empty slot's row gets zero states, so the batch's state tensors stay rectangular.
      requests.push(states ? { ...empty, inputs: [...empty.inputs, ...states.nullInputs()] } : empty);
      continue;
    }
    p.record.queue.shift();
    p.done = true;
    p.unlisten();
    let request = assembleModelInputs(settings, p);
    if (states) {
      try {
        request = withImplicitState(request, states, p.record, { start: p.start, end: p.end });
      } catch (e) {
        refused = InferenceError.from(e);
        p.job.onDropped(refused);
        continue;
      }
    }
    p.record.inFlight = true;
    p.job.onStart(nowNs);
    taken.push(p);
    requests.push(request);
  }
  if (taken.length === 0 && refused) {
    settled(taken, { error: refused });
    return;
  }
  const settle = (outcome: BatchOutcome): void => {
    try {
      for (const p of taken) p.job.onExecuted(outcome);
    } finally {
      settled(taken, outcome);
    }
  };
  let running: Promise<ExecutionTimings>;
  try {
    running = instance.execute(requests);
  } catch (err) {
    running = Promise.reject(err); // a backend that throws instead of rejecting still frees the instance
  }
  running.then(
    (timings) => settle({ timings }),
    (err: unknown) => settle({ error: InferenceError.from(err) }),
  );
}
