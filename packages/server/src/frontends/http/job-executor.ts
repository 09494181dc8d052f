/**
 * Runs a job's request (the async job API, docs/jobs.md) the way `POST .../infer` runs a request:
 * the same decoding (JSON, binary extension, raw binary body), the same core path (scheduler,
 * batching, statistics, tracing) and the same response encoding, so a job's result is byte for
 * byte what the infer endpoint would have answered. Jobs run later and possibly on another
 * replica, so shared-memory tensors (regions registered with one process) are refused.
 */
import { systemClock } from '../../core/clock.js';
import type { CancelSignal } from '../../core/cancel-signal.js';
import { unsupported } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import type { JobExecutor, JobRequest, JobResult } from '../../core/jobs/job-types.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import { usesSharedMemory } from '../shared-memory/shm-tensors.js';
import { assembleBinaryBody } from './binary-extension.js';
import { finalResponse } from './infer-handler.js';
import { decodeInferRequest, encodeInferResponse } from './infer-json-codec.js';
import { decodeRawBinaryRequest } from './raw-binary-request.js';

/** The message of a job whose request names shared-memory regions. */
export const JOB_SHM_REFUSED =
  'jobs cannot use shared-memory tensors: a job runs later, possibly on another replica, where the region is not registered; send the tensor data in the request';

/**
 * Decodes a job request as the infer endpoint does; throws the same errors (INVALID_ARG, ...).
 * Used at submission too, so a malformed request is refused at once rather than failing later.
 */
export function decodeJobRequest(core: InferenceCore, request: JobRequest): ReturnType<typeof decodeInferRequest> {
  const target = { modelName: request.model, modelVersion: request.version };
  const decoded =
    request.headerLength === 0
      ? decodeRawBinaryRequest(request.body, core.modelConfig(request.model, request.version || undefined), target)
      : decodeInferRequest(request.body, request.headerLength, target);
  if (usesSharedMemory(decoded.request)) throw unsupported(JOB_SHM_REFUSED);
  return decoded;
}

/**
 * The executor the job stores call.
 *
 * @example
 * ```ts
 * const jobs = new JobService(openJobStore(settings, httpJobExecutor(core, traces)), ...);
 * ```
 */
export function httpJobExecutor(core: InferenceCore, traces?: TraceManager): JobExecutor {
  return async (job: JobRequest, signal: CancelSignal): Promise<JobResult> => {
    const decoded = decodeJobRequest(core, job);
    const trace = traces?.startTrace(job.model, undefined);
    try {
      const response = await finalResponse(core, decoded.request, signal, trace);
      const encoded = encodeInferResponse(response, decoded.outputEncoding, undefined);
      trace?.capture('HTTP_SEND_START', systemClock.nowNs());
      if (encoded.hasBinary) {
        const { body, headerLength } = assembleBinaryBody(encoded.json, encoded.binaryChunks);
        return { body, headerLength };
      }
      return { body: Buffer.from(encoded.json, 'utf8'), headerLength: undefined };
    } finally {
      trace?.release();
    }
  };
}
