/**
 * `POST /v2/models/{m}[/versions/{v}]/generate` and `.../generate_stream` (Triton's generate
 * extension). `generate` answers one JSON object and needs the model to send exactly one response
 * (decoupled models included); `generate_stream` answers Server-Sent Events, one `data: {json}` per
 * response. A failure before the first event is an ordinary HTTP error; after it, an SSE event
 * `data: {"error": "..."}` (the status line is already sent), as in Triton. A client that
 * disconnects cancels the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InferenceError, invalidArg } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import type { RequestTrace } from '../../core/trace/request-trace.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { startHttpTrace } from './http-trace.js';
import type { InferRequest, InferResponse } from '../../core/types.js';
import { decodeGenerateRequest, encodeGenerateResponse } from './generate-codec.js';
import { bodyBytes, modelPath } from './request-helpers.js';
import { cancelOnDisconnect, SSE_HEADERS, writeSseData } from '../http-streaming.js';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The generate handlers, bound to a core. */
export interface GenerateHandlers {
  readonly generate: Handler;
  readonly generateStream: Handler;
}

/** Triton's wording, so clients that look for it keep working. */
const EXACTLY_ONE =
  'generate expects model to produce exactly 1 response; use generate_stream for a model that sends a varying number of responses';

function decode(core: InferenceCore, request: FastifyRequest): InferRequest {
  const { model, version } = modelPath(request);
  // NOT_FOUND / UNAVAILABLE for an unknown or unready model, before the body is read.
  const config = core.modelConfig(model, version);
  return decodeGenerateRequest(bodyBytes(request), config, { modelName: model, modelVersion: version ?? '' });
}

async function oneResponse(
  core: InferenceCore,
  request: InferRequest,
  controller: AbortController,
  trace: RequestTrace | undefined,
): Promise<InferResponse> {
  let only: InferResponse | undefined;
  for await (const response of core.infer(request, {
    signal: controller.signal,
    protocol: 'http',
    allowDecoupled: true,
    trace,
  })) {
    if (response.error !== undefined) throw response.error;
    if (!response.emptyFinal) {
      if (only !== undefined) {
        // A second response: the request cannot be answered here, so stop the model's work.
        controller.abort();
        throw invalidArg(EXACTLY_ONE);
      }
      only = response;
    }
    if (response.final) break;
  }
  if (only === undefined) throw invalidArg(EXACTLY_ONE);
  return only;
}

/**
 * Builds the generate handlers.
 *
 * @example
 * ```ts
 * const { generate, generateStream } = generateHandlers(core);
 * fastify.post('/v2/models/:model/generate', generate);
 * ```
 */
export function generateHandlers(core: InferenceCore, traces?: TraceManager): GenerateHandlers {
  const generate: Handler = async (request, reply) => {
    const inferRequest = decode(core, request);
    const trace = traces === undefined ? undefined : startHttpTrace(traces, inferRequest.modelName, request, reply);
    const controller = new AbortController();
    const release = cancelOnDisconnect(reply.raw, controller);
    let response: InferResponse;
    try {
      response = await oneResponse(core, inferRequest, controller, trace);
    } finally {
      release();
    }
    trace?.capture('HTTP_SEND_START', systemClock.nowNs());
    await reply
      .code(200)
      .type('application/json')
      .send(JSON.stringify(encodeGenerateResponse(response)));
  };

  const generateStream: Handler = async (request, reply) => {
    const inferRequest = decode(core, request);
    const trace = traces === undefined ? undefined : startHttpTrace(traces, inferRequest.modelName, request, reply);
    const controller = new AbortController();
    const res = reply.raw;
    const release = cancelOnDisconnect(res, controller);
    const ctx = { signal: controller.signal, protocol: 'http', allowDecoupled: true, trace } as const;
    const responses = core.infer(inferRequest, ctx)[Symbol.asyncIterator]();
    // Validation and the first response decide the status: until then, a failure is a plain HTTP error.
    let first: IteratorResult<InferResponse>;
    try {
      first = await responses.next();
      if (!first.done && first.value.error !== undefined) throw first.value.error;
    } catch (e) {
      controller.abort();
      release();
      throw e;
    }

    reply.hijack();
    trace?.capture('HTTP_SEND_START', systemClock.nowNs());
    res.writeHead(200, SSE_HEADERS);
    try {
      let next = first;
      while (!next.done) {
        const response = next.value;
        if (response.error !== undefined) await writeSseData(res, JSON.stringify({ error: response.error.message }));
        else if (!response.emptyFinal && (response.outputs.length > 0 || Object.keys(response.parameters).length > 0)) {
          await writeSseData(res, JSON.stringify(encodeGenerateResponse(response)));
        }
        if (response.final || res.destroyed) break;
        next = await responses.next();
      }
    } catch (e) {
      if (!controller.signal.aborted)
        await writeSseData(res, JSON.stringify({ error: InferenceError.from(e).message }));
    } finally {
      if (!controller.signal.aborted && res.destroyed) controller.abort();
      release();
      // Stop the core's iteration (and the model) if the loop ended early.
      await responses.return?.();
      res.end();
    }
  };

  return { generate, generateStream };
}
