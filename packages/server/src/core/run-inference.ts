/**
 * The life of one inference request inside the core: queue it on the version's scheduler, turn the
 * backend's sender calls into an async stream of responses, shape the outputs the client asked
 * for, and record statistics and observer events exactly once when the request is over.
 */
import { elementCount } from '@tensorgate/protocol';
import type { BackendResponse, ExecutionTimings } from '../backend-api/backend.js';
import { InferenceError } from './errors.js';
import type { FailureReason, InferenceObserver } from './observer.js';
import { ResponseChannel } from './response-channel.js';
import type { SchedulerJob } from './scheduling/scheduler.js';
import type { ServingVersion } from './serving-version.js';
import type { InferRequest, InferResponse, RequestContext, Tensor } from './types.js';
import type { ValidatedRequest } from './validate-request.js';

function failureReason(err: InferenceError, executed: boolean): FailureReason {
  if (err.code === 'CANCELLED' || err.code === 'DEADLINE_EXCEEDED') return 'CANCELED';
  if (err.code === 'RESOURCE_EXHAUSTED' || err.code === 'UNAVAILABLE') return 'REJECTED';
  return executed ? 'BACKEND' : 'OTHER';
}

/** Maps an output the model produced to the shape the client sees (config `reshape` undone). */
function clientShape(t: Tensor, version: ServingVersion): Tensor {
  const cfg = version.config.output.find((o) => o.name === t.name);
  if (!cfg?.reshape) return t;
  const batch = version.config.max_batch_size > 0;
  const shape = batch ? [t.shape[0]!, ...cfg.dims] : [...cfg.dims];
  const wild = shape.indexOf(-1, batch ? 1 : 0);
  if (wild >= 0) {
    const known = shape.reduce((a, d, i) => (i === wild ? a : a * d), 1);
    shape[wild] = known === 0 ? 0 : elementCount(t.shape) / known;
  }
  return { ...t, shape };
}

/** Abort reason → the error a cancelled request fails with. */
function abortError(signal: AbortSignal): InferenceError {
  const r: unknown = signal.reason;
  if (r instanceof InferenceError) return r;
  return new InferenceError('CANCELLED', 'request cancelled');
}

/**
 * Runs `request` (already validated as `validated`) on `version`, yielding its responses.
 * Returning early from the iteration cancels the request.
 */
export async function* runInference(
  version: ServingVersion,
  request: InferRequest,
  validated: ValidatedRequest,
  ctx: RequestContext,
  observer: InferenceObserver,
): AsyncGenerator<InferResponse, void, undefined> {
  const clock = version.clock;
  const arrivedNs = clock.nowNs();
  const channel = new ResponseChannel();
  const modelVersion = String(version.version);
  let startNs = 0;
  let timings: ExecutionTimings | undefined;
  let executed = false;
  let settled = false;

  // The frontend's signal reaches the scheduler and the backend as it is: frontends abort it on
  // disconnect, cancel and deadline, so no second controller per request is needed.
  const cancel = (): void => {
    channel.fail(abortError(ctx.signal));
    complete();
  };

  const toResponse = (r: BackendResponse | undefined, final: boolean): InferResponse => ({
    modelName: version.name,
    modelVersion,
    id: request.id,
    outputs: r ? validated.requestedOutputs.flatMap((name) => {
      const t = r.outputs.find((o) => o.name === name);
      return t ? [clientShape(t, version)] : [];
    }) : [],
    parameters: r?.parameters ?? {},
    final,
    ...(r ? {} : { emptyFinal: true }),
  });

  const complete = (): void => {
    if (settled || !channel.finished || !(executed || startNs < 0)) return;
    settled = true;
    ctx.signal.removeEventListener('abort', cancel);
    const totalNs = clock.nowNs() - arrivedNs;
    const queueNs = startNs > 0 ? startNs - arrivedNs : totalNs;
    const err = channel.failure;
    if (err) {
      version.stats.recordFailure(totalNs);
      observer.onRequest?.({
        model: version.name, version: modelVersion, success: false, reason: failureReason(err, executed),
        batchSize: validated.batchSize, requestNs: totalNs, queueNs, computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0,
      });
    } else {
      const t = timings ?? { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };
      const d = { totalNs, queueNs, ...t };
      version.stats.recordSuccess(validated.batchSize, d);
      observer.onRequest?.({
        model: version.name, version: modelVersion, success: true, batchSize: validated.batchSize,
        requestNs: totalNs, queueNs, computeInputNs: t.computeInputNs, computeInferNs: t.computeInferNs,
        computeOutputNs: t.computeOutputNs,
      });
    }
    version.end();
  };

  const decoupled = version.decoupled;
  const job: SchedulerJob = {
    batchSize: validated.batchSize,
    request: {
      id: request.id,
      inputs: validated.inputs,
      requestedOutputs: validated.requestedOutputs,
      parameters: request.parameters,
      batchSize: validated.batchSize,
      signal: ctx.signal,
      sender: {
        send(response, { final }) {
          if (channel.finished) return;
          if (response?.error) {
            channel.fail(response.error);
          } else if (!decoupled && (!final || !response)) {
            channel.fail(new InferenceError('INTERNAL', `model '${version.name}' must send exactly one final response per request`));
          } else {
            channel.push(toResponse(response, final));
          }
          complete();
        },
      },
    },
    onStart(ns) {
      startNs = ns;
    },
    onExecuted(result) {
      executed = true;
      if ('error' in result) channel.fail(result.error);
      else {
        timings = result.timings;
        if (!channel.finished) {
          channel.fail(new InferenceError('INTERNAL', `model '${version.name}' finished executing without a final response`));
        }
      }
      complete();
    },
    onDropped(error) {
      startNs = -1;
      channel.fail(error);
      complete();
    },
  };

  version.begin();
  if (ctx.signal.aborted) cancel();
  else ctx.signal.addEventListener('abort', cancel, { once: true });
  version.scheduler.enqueue(job);
  try {
    for (;;) {
      const response = await channel.next();
      if (!response) return;
      yield response;
      if (response.final) return;
    }
  } finally {
    if (!channel.finished) {
      // The consumer stopped reading (its client went away and aborted ctx.signal too).
      channel.fail(new InferenceError('CANCELLED', 'request abandoned by the client'));
      complete();
    }
  }
}
