/**
 * What a sequence-batched model receives for each slot of a batch: the client's request with the
 * control tensors added ({@link assembleModelInputs}, the one place a request's model inputs are
 * put together), or, for a slot without a request in a `direct` batch, a null request
 * ({@link nullRequest}).
 *
 * How an empty slot reaches our backends: as a request of its own in the `execute` batch, at the
 * slot's position, with READY (and START, END) false, CORRID 0 (or ''), the inputs of a real
 * request of the batch with the same shapes and zeroed data (BYTES: empty strings), no parameters,
 * a signal that never aborts, and a sender that drops whatever the model answers. A JS model sees
 * it in its request list (READY tells it to skip the row); the onnxruntime backend merges it into
 * the batch tensors like any request, so row `i` of the batch is slot `i`, as in Triton.
 */
import type { ExecutionRequest, ResponseSender } from '../../../backend-api/backend.js';
import type { CancelListener, CancelSignal } from '../../cancel-signal.js';
import type { Tensor } from '../../types.js';
import { controlTensors } from './control-tensors.js';
import type { PendingRequest } from './sequence-record.js';
import type { SequenceSettings } from './sequence-settings.js';

/**
 * The request the model executes for `pending`: the client's inputs plus the control tensors
 * (START/END as the client flagged them, READY true, CORRID the sequence id).
 *
 * @example
 * ```ts
 * requests.push(assembleModelInputs(settings, pending));
 * ```
 */
export function assembleModelInputs(settings: SequenceSettings, pending: PendingRequest): ExecutionRequest {
  const request = pending.job.request;
  const controls = controlTensors(
    settings.controls,
    { start: pending.start, end: pending.end, ready: true, corrid: pending.record.id },
    settings.batching,
  );
  if (controls.length === 0) return request;
  return { ...request, inputs: [...request.inputs, ...controls] };
}

/** A signal that never aborts (null requests cannot be cancelled). */
const NEVER: CancelSignal = {
  aborted: false,
  reason: undefined,
  addEventListener(_type: 'abort', _listener: CancelListener): void {},
  removeEventListener(_type: 'abort', _listener: CancelListener): void {},
};

/** Drops whatever a model answers for a null request. */
const DISCARD: ResponseSender = { send() {} };

function zeroed(t: Tensor): Tensor {
  if (t.datatype !== 'BYTES')
    return { name: t.name, datatype: t.datatype, shape: t.shape, data: new Uint8Array(t.data.byteLength) };
  // One empty string per element: a 4-byte zero length each.
  let count = 1;
  for (const d of t.shape) count *= d;
  return { name: t.name, datatype: t.datatype, shape: t.shape, data: new Uint8Array(4 * count) };
}

/**
 * The request for an empty slot of a `direct` batch, shaped like `like` (a real request of the
 * same batch) so the batch tensors stay rectangular.
 *
 * @example
 * ```ts
 * requests.push(front ? assembleModelInputs(settings, front) : nullRequest(settings, representative));
 * ```
 */
export function nullRequest(settings: SequenceSettings, like: ExecutionRequest): ExecutionRequest {
  const inputs = like.inputs.map(zeroed);
  inputs.push(
    ...controlTensors(
      settings.controls,
      { start: false, end: false, ready: false, corrid: settings.controls.corrid?.datatype === 'BYTES' ? '' : 0 },
      settings.batching,
    ),
  );
  return {
    id: '',
    inputs,
    requestedOutputs: like.requestedOutputs,
    parameters: {},
    batchSize: 1,
    sender: DISCARD,
    signal: NEVER,
    inputBuffersOwned: true,
  };
}
