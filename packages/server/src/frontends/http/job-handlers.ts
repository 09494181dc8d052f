/**
 * The async job API's routes (docs/jobs.md): `POST /v2/models/{m}[/versions/{v}]/jobs` queues the
 * body of an infer request (checked as the infer endpoint checks it) and answers 202 with the
 * job's id and `Location`; `GET .../jobs/{id}` reports its status (with the infer response once it
 * succeeded), `GET .../jobs/{id}/result` answers exactly what the infer endpoint would have (the
 * response, binary sections included, or the error with its status), `DELETE .../jobs/{id}`
 * cancels it. Without a job service (`--jobs-store none`) every route answers 501.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidArg, InferenceError, notFound, unsupported } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { jobDocument, jobPath, type JobService } from '../../core/jobs/job-service.js';
import { validateRequest } from '../../core/validate-request.js';
import { JobsBusyError, type JobRequest } from '../../core/jobs/job-types.js';
import { INFER_HEADER_LENGTH_HEADER, parseHeaderLength } from './binary-extension.js';
import { httpStatusFor, HttpStatusError } from './http-status.js';
import { decodeJobRequest } from './job-executor.js';
import { bodyBytes, modelPath } from './request-helpers.js';

/** The request header that carries a job's callback URL. */
export const CALLBACK_URL_HEADER = 'job-callback-url';

/** How the job routes identify clients and bound requests. */
export interface JobRouteOptions {
  /** Header naming the client (lower case); undefined: the remote address. */
  readonly clientHeader: string | undefined;
  /** Largest request body of a job. */
  readonly maxRequestBytes: number;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The quota key: a digest of the header's value (it may be a credential), or the remote address. */
function clientOf(request: FastifyRequest, options: JobRouteOptions): string {
  if (options.clientHeader === undefined) return `ip:${request.ip}`;
  const value = header(request, options.clientHeader);
  if (value === undefined || value === '') {
    throw invalidArg(`jobs need the '${options.clientHeader}' header, which names the client (--jobs-client-header)`);
  }
  return `h:${createHash('sha256').update(value).digest('hex').slice(0, 32)}`;
}

function jobId(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  return id;
}

function notFoundJob(id: string): InferenceError {
  return notFound(
    `job '${id.slice(0, 100)}' not found (unknown, for another model, or expired after --jobs-result-ttl-secs)`,
  );
}

/**
 * Builds the four job handlers.
 *
 * @example
 * ```ts
 * const jobs = jobHandlers(core, jobService, { clientHeader: undefined, maxRequestBytes: 16 << 20 });
 * fastify.post('/v2/models/:model/jobs', jobs.submit);
 * ```
 */
export function jobHandlers(
  core: InferenceCore,
  service: JobService | undefined,
  options: JobRouteOptions,
): { submit: Handler; get: Handler; result: Handler; cancel: Handler } {
  const jobs = (): JobService => {
    if (service === undefined) throw unsupported('the job API is off on this server (--jobs-store none)');
    return service;
  };
  return {
    submit: async (request, reply) => {
      const service = jobs();
      const { model, version } = modelPath(request);
      const body = bodyBytes(request);
      if (body.byteLength > options.maxRequestBytes) {
        throw new HttpStatusError(
          413,
          `job request body is ${body.byteLength} bytes, more than the limit of ${options.maxRequestBytes} (--jobs-max-request-bytes)`,
        );
      }
      const headerLength = parseHeaderLength(request.headers[INFER_HEADER_LENGTH_HEADER], body.byteLength);
      // Unknown models and malformed or invalid requests are refused now, not when the job runs
      // (it is checked again then, against the version that runs it).
      const config = core.modelConfig(model, version);
      const job: JobRequest = { model, version: version ?? '', body, headerLength };
      validateRequest(decodeJobRequest(core, job).request, config);
      const callbackUrl = header(request, CALLBACK_URL_HEADER);
      let record;
      try {
        record = await service.submit({ request: job, client: clientOf(request, options), callbackUrl });
      } catch (err) {
        if (err instanceof JobsBusyError) {
          throw new HttpStatusError(429, err.message, { 'retry-after': String(err.retryAfterSecs) });
        }
        throw err;
      }
      await reply
        .code(202)
        .header('location', jobPath(record))
        .type('application/json')
        .send(JSON.stringify({ id: record.id, status: record.status }));
    },
    get: async (request, reply) => {
      const { model, version } = modelPath(request);
      const id = jobId(request);
      const record = await jobs().get(model, version, id);
      if (record === undefined) throw notFoundJob(id);
      const result = record.status === 'succeeded' ? await jobs().result(id) : undefined;
      await reply
        .code(200)
        .type('application/json')
        .send(JSON.stringify(jobDocument(record, result)));
    },
    result: async (request, reply) => {
      const { model, version } = modelPath(request);
      const id = jobId(request);
      const record = await jobs().get(model, version, id);
      if (record === undefined) throw notFoundJob(id);
      if (record.status === 'queued' || record.status === 'running') {
        throw new HttpStatusError(409, `job '${id}' has not finished (status ${record.status})`);
      }
      if (record.status !== 'succeeded') {
        const error = record.error ?? { code: 'UNKNOWN' as const, message: `job ${record.status}` };
        throw new HttpStatusError(httpStatusFor(error.code), error.message);
      }
      const result = await jobs().result(id);
      if (result === undefined) throw notFoundJob(id);
      if (result.headerLength !== undefined) {
        reply.type('application/octet-stream').header('Inference-Header-Content-Length', String(result.headerLength));
      } else {
        reply.type('application/json');
      }
      await reply.code(200).send(result.body);
    },
    cancel: async (request, reply) => {
      const { model, version } = modelPath(request);
      const id = jobId(request);
      const record = await jobs().cancel(model, version, id);
      if (record === undefined) throw notFoundJob(id);
      const result = record.status === 'succeeded' ? await jobs().result(id) : undefined;
      await reply
        .code(200)
        .type('application/json')
        .send(JSON.stringify(jobDocument(record, result)));
    },
  };
}
