/**
 * Reads the sequence parameters of a request for a sequence-batched model (`sequence_id`,
 * `sequence_start`, `sequence_end`; their types were checked by validate-request.ts) and refuses,
 * with Triton's messages, what the sequence batcher cannot take.
 */
import { InferenceError } from '../../errors.js';
import type { SchedulerJob } from '../scheduler.js';
import { checkCorridKind } from './control-tensors.js';
import type { SequenceId } from './sequence-record.js';
import type { SequenceSettings } from './sequence-settings.js';

/** Triton's limit on a string correlation id. */
export const MAX_STRING_ID_CHARS = 128;

/** The sequence side of one request. */
export interface SequenceRequest {
  readonly id: SequenceId;
  readonly start: boolean;
  readonly end: boolean;
}

/**
 * The sequence parameters of `job`; throws INVALID_ARG for a request the sequence batcher refuses.
 *
 * @example
 * ```ts
 * const { id, start, end } = readSequenceRequest(job, settings);
 * ```
 */
export function readSequenceRequest(job: SchedulerJob, settings: SequenceSettings): SequenceRequest {
  const model = settings.name;
  if (job.batchSize > 1) {
    throw new InferenceError(
      'INVALID_ARG',
      `inference request to model '${model}' must specify batch-size 1 due to requirements of sequence batcher`,
    );
  }
  const p = job.request.parameters;
  const id = p['sequence_id'];
  if (id === undefined || id === 0 || id === '' || typeof id === 'boolean') {
    throw new InferenceError(
      'INVALID_ARG',
      `inference request to model '${model}' must specify a non-zero or non-empty correlation ID`,
    );
  }
  if (typeof id === 'string' && id.length > MAX_STRING_ID_CHARS) {
    throw new InferenceError(
      'INVALID_ARG',
      `string correlation ID cannot be longer than ${MAX_STRING_ID_CHARS} characters`,
    );
  }
  if (typeof id === 'number' && !Number.isSafeInteger(id)) {
    // Parameters arrive as JS numbers: above 2^53 - 1 two different ids could read as one.
    throw new InferenceError(
      'INVALID_ARG',
      `sequence_id ${id} of a request to model '${model}' is above ${Number.MAX_SAFE_INTEGER}, the largest ` +
        'integer tensorgate keeps exact; use a smaller id or a string id',
    );
  }
  checkCorridKind(settings.controls, id, model);
  return { id, start: p['sequence_start'] === true, end: p['sequence_end'] === true };
}

/**
 * Triton's error for a request that continues a sequence the batcher does not know (never
 * started, ended, or released after being idle).
 *
 * @example
 * ```ts
 * job.onDropped(notStartedError(1000, 'simple_sequence'));
 * ```
 */
export function notStartedError(id: SequenceId, model: string): InferenceError {
  return new InferenceError(
    'INVALID_ARG',
    `inference request for sequence ${String(id)} to model '${model}' must specify the START flag on the first ` +
      'request of the sequence',
  );
}
