/**
 * The handler of one gateway route: body → input tensors → upstream call (through the pool, so it
 * is balanced and retried) → JSON reply, or an SSE stream for `mode: stream`. Failures become
 * `{"error": ...}` replies through `toHttpFailure`; inside a started stream they become
 * `event: error`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayTransport, RequestedOutput, UpstreamCall } from './gateway-transport.js';
import { carriesData, mergeReplies, shapeReply } from './response-shaping.js';
import type { RouteSpec } from './route-types.js';
import { SSE_DONE_EVENT, SSE_ERROR_EVENT, SseWriter } from './sse.js';
import { mapInputs } from './tensor-mapping.js';
import { isRetryable, toHttpFailure } from './upstream-errors.js';
import type { UpstreamPool } from './upstream-pool.js';

/** What a route handler needs from the gateway. */
export interface RouteHandlerDeps {
  readonly pool: UpstreamPool<GatewayTransport>;
  readonly logger: Logger;
}

/** The outputs to request: one per mapped tensor, with a class count where the server labels. */
export function requestedOutputs(route: Pick<RouteSpec, 'outputs'>): RequestedOutput[] {
  const byName = new Map<string, RequestedOutput>();
  for (const m of route.outputs) {
    if (m.labels?.kind === 'server') byName.set(m.tensor, { name: m.tensor, classCount: m.topK ?? 1 });
    else if (!byName.has(m.tensor)) byName.set(m.tensor, { name: m.tensor });
  }
  return [...byName.values()];
}

/** An AbortController that fires when the client's connection closes before the reply is done. */
function disconnectSignal(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort(new Error('client disconnected'));
  };
  res.once('close', onClose);
  return controller;
}

/**
 * The headers hooks have set on fastify's reply (CORS), for writing on `reply.raw` after a hijack:
 * fastify no longer sends them then.
 */
function hookHeaders(reply: FastifyReply): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
  return headers;
}

function logFailure(logger: Logger, route: RouteSpec, status: number, err: unknown): void {
  if (status >= 500) logger.warn({ err, route: route.path, status }, 'gateway request failed');
  else logger.debug({ route: route.path, status, reason: (err as Error).message }, 'gateway request rejected');
}

/**
 * Builds the fastify handler of a route.
 *
 * @example
 * ```ts
 * app.post(route.path, routeHandler(route, { pool, logger }));
 * ```
 */
export function routeHandler(
  route: RouteSpec,
  deps: RouteHandlerDeps,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const outputs = requestedOutputs(route);
  return async (request, reply) => {
    const controller = disconnectSignal(reply);
    const call = (): UpstreamCall => ({
      model: route.model,
      version: route.version,
      inputs: mapInputs(route, request.body),
      outputs,
      parameters: route.parameters,
      signal: controller.signal,
      ...(route.timeoutMs !== undefined && { timeoutMs: route.timeoutMs }),
    });
    if (route.mode === 'stream') return streamRoute(route, deps, reply, call);
    let body: Record<string, unknown>;
    try {
      const upstreamCall = call();
      body =
        route.mode === 'unary'
          ? await deps.pool.run(async (t) => shapeReply(route, await t.infer(upstreamCall)))
          : await deps.pool.run(async (t) => {
              const replies: Record<string, unknown>[] = [];
              for await (const outs of t.stream(upstreamCall)) replies.push(shapeReply(route, outs));
              return mergeReplies(replies);
            });
    } catch (err) {
      const failure = toHttpFailure(err);
      logFailure(deps.logger, route, failure.status, err);
      await reply.code(failure.status).send({ error: failure.error });
      return;
    }
    await reply.code(200).send(body);
  };
}

async function streamRoute(
  route: RouteSpec,
  deps: RouteHandlerDeps,
  reply: FastifyReply,
  call: () => UpstreamCall,
): Promise<void> {
  let upstreamCall: UpstreamCall;
  try {
    upstreamCall = call();
  } catch (err) {
    const failure = toHttpFailure(err);
    await reply.code(failure.status).send({ error: failure.error });
    return;
  }
  // From here on the reply is written by hand, event by event, with the headers hooks set (CORS).
  reply.hijack();
  const headers = hookHeaders(reply);
  const sse = new SseWriter(reply.raw, headers);
  let events = 0;
  try {
    await deps.pool.run(
      async (t) => {
        for await (const outs of t.stream(upstreamCall)) {
          if (sse.isClosed) break;
          // An LLM's empty final text is not an event (collect routes still see it: an empty reply is "").
          if (!carriesData(outs)) continue;
          sse.send(shapeReply(route, outs));
          events++;
        }
      },
      // Once an event went out the client has seen part of a reply: never start over elsewhere.
      { canRetry: (err) => events === 0 && isRetryable(err) },
    );
    sse.end({ responses: events }, SSE_DONE_EVENT);
  } catch (err) {
    const failure = toHttpFailure(err);
    logFailure(deps.logger, route, failure.status, err);
    if (sse.hasStarted) sse.end({ error: failure.error, status: failure.status }, SSE_ERROR_EVENT);
    else if (!sse.isClosed) {
      // Nothing was sent yet, so the failure can still be a plain HTTP error.
      reply.raw.writeHead(failure.status, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
      });
      reply.raw.end(JSON.stringify({ error: failure.error }));
    }
  }
}
