/**
 * A {@link SchedulerJob} for scheduler tests: batch 1, default priority, no timeout, no inputs and
 * callbacks that do nothing, unless a test gives its own.
 */
import type { ExecutionTimings, ResponseSender } from '../../backend-api/backend.js';
import type { InferenceError } from '../errors.js';
import type { Tensor } from '../types.js';
import type { SchedulerJob } from './scheduler.js';

/** What a test may set on a {@link testJob}. */
export interface TestJobParts {
  readonly batch?: number;
  readonly priority?: number;
  readonly timeoutUs?: number;
  readonly signal?: AbortSignal;
  readonly inputs?: readonly Tensor[];
  readonly send?: ResponseSender['send'];
  readonly onStart?: (startNs: number) => void;
  readonly onExecuted?: (result: { timings: ExecutionTimings } | { error: InferenceError }) => void;
  readonly onDropped?: (error: InferenceError) => void;
}

/**
 * @example
 * ```ts
 * scheduler.enqueue(testJob('a', { onStart: () => log.push('start a') }));
 * ```
 */
export function testJob(id: string, parts: TestJobParts = {}): SchedulerJob {
  const batch = parts.batch ?? 1;
  return {
    batchSize: batch,
    priority: parts.priority ?? 0,
    timeoutUs: parts.timeoutUs ?? 0,
    request: {
      id,
      inputs: parts.inputs ?? [],
      requestedOutputs: [],
      parameters: {},
      batchSize: batch,
      signal: parts.signal ?? new AbortController().signal,
      sender: { send: parts.send ?? (() => {}) },
    },
    onStart: parts.onStart ?? (() => {}),
    onExecuted: parts.onExecuted ?? (() => {}),
    onDropped: parts.onDropped ?? (() => {}),
  };
}
