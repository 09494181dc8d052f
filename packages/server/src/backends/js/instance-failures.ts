/**
 * What a worker-thread instance says when its worker is replaced: the `cause` (logged, and quoted
 * in the UNAVAILABLE answers while it restarts) and the `message` the requests it was executing
 * fail with (INTERNAL). docs/errors.md lists these families; keep them in step.
 */
import type { InstanceRestartReason } from '../../backend-api/backend.js';
import { unavailable, type InferenceError } from '../../core/errors.js';

/** Why an instance's worker is being replaced. */
export interface InstanceFailure {
  readonly reason: InstanceRestartReason;
  /** Short, for logs and the instance's unavailability ("it exceeded ..."). */
  readonly cause: string;
  /** What the requests it was executing fail with (INTERNAL). */
  readonly message: string;
}

/** Who failed: the model and the instance. */
export interface FailedInstance {
  readonly model: string;
  readonly instance: string;
}

/**
 * No execution returned and no response was sent for `timeoutMs`.
 *
 * @example
 * ```ts
 * timeoutFailure({ model: 'm', instance: 'm_0' }, 2000, false).message
 * // "model 'm' instance m_0 exceeded execution_timeout_ms (2000 ms); the instance is being restarted"
 * ```
 */
export function timeoutFailure(who: FailedInstance, timeoutMs: number, decoupled: boolean): InstanceFailure {
  const what = decoupled
    ? `sent no response for execution_timeout_ms (${timeoutMs} ms)`
    : `exceeded execution_timeout_ms (${timeoutMs} ms)`;
  return {
    reason: 'timeout',
    cause: `it ${what}`,
    message: `model '${who.model}' instance ${who.instance} ${what}; the instance is being restarted`,
  };
}

/** The memory probe found `heldBytes` of heap and ArrayBuffers, over `limitMb`. */
export function memoryFailure(who: FailedInstance, limitMb: number, heldBytes: number): InstanceFailure {
  const limit = `memory_limit_mb (${limitMb} MB)`;
  const held = `${Math.round(heldBytes / 2 ** 20)} MB of JavaScript heap and ArrayBuffers`;
  return {
    reason: 'memory',
    cause: `it exceeded ${limit} with ${held}`,
    message: `model '${who.model}' instance ${who.instance} exceeded ${limit}: it held ${held}; the instance is being restarted`,
  };
}

/**
 * The worker died by itself: `detail` is its error or exit code; `outOfMemory` when V8 ended it
 * for a full heap (ERR_WORKER_OUT_OF_MEMORY), which is the memory cap's doing when `limitMb` > 0.
 */
export function exitFailure(
  who: FailedInstance,
  detail: string,
  outOfMemory: boolean,
  limitMb: number,
): InstanceFailure {
  if (outOfMemory && limitMb > 0) {
    const limit = `memory_limit_mb (${limitMb} MB)`;
    return {
      reason: 'memory',
      cause: `its JavaScript heap exceeded ${limit}`,
      message:
        `model '${who.model}' instance ${who.instance} exceeded ${limit}: its JavaScript heap ran out of memory; ` +
        'the instance is being restarted',
    };
  }
  return {
    reason: outOfMemory ? 'memory' : 'crash',
    cause: `it crashed: ${detail}`,
    message: `model instance ${who.instance} crashed: ${detail}; it is being restarted`,
  };
}

/** UNAVAILABLE for a request that waited in the worker behind the execution that failed. */
export function notExecuted(instance: string, cause: string): InferenceError {
  return unavailable(
    `model instance ${instance} was restarted before this request could execute (${cause}); ` +
      'the request may be retried',
  );
}
