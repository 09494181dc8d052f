/**
 * `POST /v2/models/{m}[/versions/{v}]/infer`: decode the body (JSON plus binary tensor data, or a
 * raw binary body when `Inference-Header-Content-Length` is 0),
 * run one inference through the core, encode the single final response, compress it when the
 * client asked. The request is cancelled (its CancelSource) when the client disconnects first.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CancelSource, type CancelSignal } from '../../core/cancel-signal.js';
import { internal } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import type { InferRequest, InferResponse } from '../../core/types.js';
import { assembleBinaryBody, INFER_HEADER_LENGTH_HEADER, parseHeaderLength } from './binary-extension.js';
import { chooseResponseCoding, encodeResponseBody } from './compression.js';
import { decodeInferRequest, encodeInferResponse } from './infer-json-codec.js';
import { decodeRawBinaryRequest } from './raw-binary-request.js';
import { bodyBytes, modelPath } from './request-helpers.js';
import { cancelOnDisconnect } from '../http-streaming.js';
import { systemClock } from '../../core/clock.js';
import type { RequestTrace } from '../../core/trace/request-trace.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import { startHttpTrace } from './http-trace.js';
import {
  openSharedMemoryTensors,
  usesSharedMemory,
  writeSharedMemoryOutputs,
  type SharedMemoryTensors,
} from '../shared-memory/shm-tensors.js';
import type { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';
import { CLIENT_SHM_DISABLED } from '../shared-memory/system-shared-memory.js';
import { unsupported } from '../../core/errors.js';

/**
 * Runs a request to its final response (the infer handler and the job executor). Unary HTTP cannot carry several responses, so the core is
 * told `allowDecoupled: false` (it rejects decoupled models with UNSUPPORTED); should more than one
 * response arrive anyway, the last one with outputs wins.
 */
export async function finalResponse(
  core: InferenceCore,
  request: InferRequest,
  signal: CancelSignal,
  trace: RequestTrace | undefined,
): Promise<InferResponse> {
  let last: InferResponse | undefined;
  for await (const response of core.infer(request, { signal, protocol: 'http', allowDecoupled: false, trace })) {
    if (!response.emptyFinal) last = response;
    if (response.final) break;
  }
  if (last === undefined) throw internal(`model '${request.modelName}' produced no response`);
  return last;
}

/**
 * Builds the infer handler.
 *
 * @example
 * ```ts
 * fastify.post('/v2/models/:model/infer', inferHandler(core, registry));
 * ```
 */
export function inferHandler(
  core: InferenceCore,
  traces?: TraceManager,
  sharedMemory?: SharedMemoryRegistry,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const { model, version } = modelPath(request);
    const trace = traces === undefined ? undefined : startHttpTrace(traces, model, request, reply);
    const body = bodyBytes(request);
    const headerLength = parseHeaderLength(request.headers[INFER_HEADER_LENGTH_HEADER], body.byteLength);
    const target = { modelName: model, modelVersion: version ?? '' };
    const decoded =
      headerLength === 0
        ? decodeRawBinaryRequest(body, core.modelConfig(model, version), target)
        : decodeInferRequest(body, headerLength, target);

    let shm: SharedMemoryTensors | undefined;
    if (usesSharedMemory(decoded.request)) {
      if (sharedMemory === undefined) throw unsupported(CLIENT_SHM_DISABLED);
      shm = await openSharedMemoryTensors(decoded.request, sharedMemory, 'http');
    }
    const cancel = new CancelSource();
    const res = reply.raw;
    const release = cancelOnDisconnect(res, cancel);
    let response: InferResponse;
    let inSharedMemory: ReadonlySet<string> | undefined;
    try {
      response = await finalResponse(core, shm?.request ?? decoded.request, cancel, trace);
      if (shm !== undefined) ({ response, inSharedMemory } = await writeSharedMemoryOutputs(response, shm.outputs));
    } finally {
      release();
      shm?.release();
    }

    const encoded = encodeInferResponse(response, decoded.outputEncoding, inSharedMemory);
    let payload: Buffer;
    if (encoded.hasBinary) {
      const { body: out, headerLength: jsonLength } = assembleBinaryBody(encoded.json, encoded.binaryChunks);
      payload = out;
      reply.type('application/octet-stream').header('Inference-Header-Content-Length', String(jsonLength));
    } else {
      payload = Buffer.from(encoded.json, 'utf8');
      reply.type('application/json');
    }
    const coding = chooseResponseCoding(request.headers['accept-encoding']);
    if (coding !== undefined) {
      payload = await encodeResponseBody(payload, coding);
      reply.header('Content-Encoding', coding);
    }
    trace?.capture('HTTP_SEND_START', systemClock.nowNs());
    await reply.code(200).send(payload);
  };
}
