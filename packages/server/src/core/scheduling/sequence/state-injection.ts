/**
 * Joins a sequence request to its implicit states: the request the backend executes carries the
 * sequence's state inputs and asks for its state outputs, and its response updates the state
 * store before it reaches the core (so the next request of the sequence, which the sequence
 * batcher dispatches only after this one answered, sees the new state). On the request that ends
 * the sequence, the states are freed once it answered.
 */
import type { BackendResponse, ExecutionRequest, ResponseSender } from '../../../backend-api/backend.js';
import { InferenceError } from '../../errors.js';
import type { SequenceKey, SequenceStateStore } from './state-store.js';

/** What the sequence batcher knows about one request of a sequence. */
export interface SequenceFlags {
  /** The request starts its sequence (`sequence_start`): states are reset to their initial values. */
  readonly start: boolean;
  /** The request ends its sequence (`sequence_end`): states are freed once it answered. */
  readonly end: boolean;
}

/** Takes the state outputs out of the backend's response, then hands the response on. */
class StateSender implements ResponseSender {
  constructor(
    private readonly inner: ResponseSender,
    private readonly store: SequenceStateStore,
    private readonly key: SequenceKey,
    private readonly end: boolean,
  ) {}

  send(response: BackendResponse | undefined, flags: { final: boolean }): void {
    let forwarded = response;
    if (response && !response.error) {
      try {
        this.store.update(this.key, response.outputs);
      } catch (e) {
        // The model broke the state contract: this request fails, the sequence keeps its state.
        forwarded = { outputs: [], error: InferenceError.from(e) };
      }
    }
    if (flags.final && this.end) this.store.release(this.key);
    this.inner.send(forwarded, flags);
  }
}

/**
 * The request to execute for `request` of sequence `key`: its inputs plus the sequence's state
 * inputs, its requested outputs plus the state outputs, and a sender that keeps the state
 * outputs as the next states.
 *
 * @throws InferenceError from {@link SequenceStateStore.feed}: RESOURCE_EXHAUSTED when no more
 *   sequences may hold state, INVALID_ARG for a sequence with no state that does not start
 * @example
 * ```ts
 * const executed = withImplicitState(job.request, store, corrId, { start, end });
 * await instance.execute([executed]);
 * ```
 */
export function withImplicitState(
  request: ExecutionRequest,
  store: SequenceStateStore,
  key: SequenceKey,
  flags: SequenceFlags,
): ExecutionRequest {
  const states = store.feed(key, flags.start);
  const requested = [...request.requestedOutputs];
  for (const name of store.outputNames) if (!requested.includes(name)) requested.push(name);
  return {
    ...request,
    inputs: [...request.inputs, ...states],
    requestedOutputs: requested,
    sender: new StateSender(request.sender, store, key, flags.end),
  };
}
