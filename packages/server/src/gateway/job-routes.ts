/**
 * Async jobs through the gateway (docs/gateway.md#async-jobs): a route with `jobs: true` also
 * serves `POST <path>/jobs` (the route's request JSON, mapped to tensors as for the route itself,
 * queued on the server's job API), `GET <path>/jobs/{id}` (the job's status and, once it
 * succeeded, the reply the route would have sent) and `DELETE <path>/jobs/{id}`. Jobs go to the
 * routes file's `jobs.upstream` over HTTP (the job API is HTTP only) with `@tensorgate/client`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HttpInferenceClient, InferenceServerError, InferInput, InferRequestedOutput } from '@tensorgate/client';
import type { Job } from '@tensorgate/client';
import { resultOutputs } from './grpc-transport.js';
import { shapeReply } from './response-shaping.js';
import { requestedOutputs } from './route-handler.js';
import type { JobsUpstream, RouteSpec } from './route-types.js';
import { mapInputs } from './tensor-mapping.js';
import { toHttpFailure } from './upstream-errors.js';

/** The reply of a job's status, with the route's reply as `result` once it succeeded. */
function jobReply(route: RouteSpec, job: Job): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    created_at: job.createdAt,
    ...(job.startedAt === undefined ? {} : { started_at: job.startedAt }),
    ...(job.finishedAt === undefined ? {} : { finished_at: job.finishedAt }),
    ...(job.error === undefined ? {} : { error: job.error, error_code: job.errorCode }),
    ...(job.result === undefined ? {} : { result: shapeReply(route, resultOutputs(job.result)) }),
  };
}

async function fail(reply: FastifyReply, err: unknown, logger: Logger, route: RouteSpec): Promise<void> {
  if (err instanceof InferenceServerError && err.code === 'NOT_FOUND' && err.status === 404) {
    await reply.code(404).send({ error: err.message });
    return;
  }
  const failure = toHttpFailure(err);
  if (failure.status >= 500)
    logger.warn({ err, route: route.path, status: failure.status }, 'gateway job request failed');
  if (failure.status === 429)
    reply.header(
      'retry-after',
      String(Math.max(1, Math.ceil((err as InferenceServerError).retryAfterMs ?? 1000) / 1000)),
    );
  await reply.code(failure.status).send({ error: failure.error });
}

/**
 * Registers the job routes of every route with `jobs: true` on `app`; returns a close function
 * for the HTTP client.
 *
 * @example
 * ```ts
 * const close = registerJobRoutes(app, routesFile.routes, routesFile.jobs, logger);
 * ```
 */
export function registerJobRoutes(
  app: FastifyInstance,
  routes: readonly RouteSpec[],
  upstream: JobsUpstream | undefined,
  logger: Logger,
): () => Promise<void> {
  const withJobs = routes.filter((r) => r.jobs === true);
  if (withJobs.length === 0 || upstream === undefined) return async () => undefined;
  const client = new HttpInferenceClient(upstream.url);
  const forwarded = (request: FastifyRequest): Record<string, string> => {
    const headers: Record<string, string> = {};
    for (const name of upstream.forwardHeaders) {
      const value = request.headers[name.toLowerCase()];
      if (typeof value === 'string') headers[name] = value;
    }
    return headers;
  };
  for (const route of withJobs) {
    const outputs = requestedOutputs(route).map(
      (o) => new InferRequestedOutput(o.name, o.classCount !== undefined ? { classCount: o.classCount } : {}),
    );
    const version = route.version === '' ? {} : { modelVersion: route.version };
    app.post(`${route.path}/jobs`, async (request, reply) => {
      try {
        const inputs = mapInputs(route, request.body).map((t) =>
          new InferInput(t.name, t.shape, t.datatype).setRaw(t.raw),
        );
        const job = await client.submitJob(route.model, inputs, {
          ...version,
          outputs,
          parameters: route.parameters,
          headers: forwarded(request),
        });
        await reply
          .code(202)
          .header('location', `${route.path}/jobs/${job.id}`)
          .send({ id: job.id, status: job.status });
      } catch (err) {
        await fail(reply, err, logger, route);
      }
    });
    app.get(`${route.path}/jobs/:id`, async (request, reply) => {
      try {
        const job = await client.getJob(route.model, (request.params as { id: string }).id, {
          ...version,
          headers: forwarded(request),
        });
        await reply.code(200).send(jobReply(route, job));
      } catch (err) {
        await fail(reply, err, logger, route);
      }
    });
    app.delete(`${route.path}/jobs/:id`, async (request, reply) => {
      try {
        const job = await client.cancelJob(route.model, (request.params as { id: string }).id, {
          ...version,
          headers: forwarded(request),
        });
        await reply.code(200).send(jobReply(route, job));
      } catch (err) {
        await fail(reply, err, logger, route);
      }
    });
  }
  return () => client.close();
}
