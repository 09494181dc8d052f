/**
 * The bidirectional `ModelStreamInfer` call as async iterables: requests are written as the
 * caller's iterable yields them, responses come out as {@link StreamResponse}s. A request's error
 * is a response with `error` set and the stream goes on; a failure of the call itself (deadline,
 * abort, lost connection) ends the iteration with an InferenceServerError.
 */
import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { ModelStreamInferResponseMessage } from '@tensorgate/protocol/grpc-types';
import { AsyncQueue } from '../async-queue.js';
import { callSignal } from '../call-signal.js';
import { InferenceServerError, type ErrorCode } from '../errors.js';
import { ERROR_CODE_PARAMETER, FINAL_RESPONSE_PARAMETER } from '../infer-result.js';
import type { CallOptions } from '../options.js';
import { decodeInferResponse, decodeParameters, encodeInferRequest } from './grpc-codec.js';
import { fromGrpcError } from './grpc-errors.js';
import { metadataOf, rpcMethod } from './grpc-channel.js';
import type { GrpcClientOptions } from './grpc-options.js';
import type { StreamInferRequest, StreamResponse } from './stream-types.js';

/** Responses buffered before the call stops reading from the network (resumed at half). */
const HIGH_WATER = 64;

/**
 * Runs one stream.
 *
 * @example
 * ```ts
 * for await (const r of streamInfer(channel, requests, {}, clientOptions)) if (r.error) console.error(r.error);
 * ```
 */
export async function* streamInfer(
  channel: grpc.Client,
  requests: AsyncIterable<StreamInferRequest> | Iterable<StreamInferRequest>,
  options: CallOptions,
  clientOptions: GrpcClientOptions,
): AsyncGenerator<StreamResponse> {
  const method = rpcMethod('ModelStreamInfer');
  const call = callSignal(options.timeoutMs ?? clientOptions.timeoutMs, options.signal, 'grpc');
  const stream = channel.makeBidiStreamRequest(
    method.path,
    method.serialize,
    method.deserialize as (b: Buffer) => ModelStreamInferResponseMessage,
    metadataOf(options.waitForReady ?? clientOptions.waitForReady, clientOptions.headers, options.headers),
    call.deadline === undefined ? {} : { deadline: call.deadline },
  );
  const queue = new AsyncQueue<ModelStreamInferResponseMessage>();
  let paused = false;
  stream.on('data', (m: ModelStreamInferResponseMessage) => {
    queue.push(m);
    if (!paused && queue.size >= HIGH_WATER) {
      paused = true;
      stream.pause();
    }
  });
  stream.on('end', () => queue.end());
  stream.on('error', (e) => queue.fail(call.signal?.aborted ? call.signal.reason : fromGrpcError(e, '')));
  const onAbort = (): void => stream.cancel();
  call.signal?.addEventListener('abort', onAbort, { once: true });

  let stopped = false;
  const writing = (async () => {
    for await (const r of requests) {
      if (stopped) return; // the consumer left: stop pulling requests (return() ends their iterator)
      const extra = r.enableEmptyFinalResponse === true ? { triton_enable_empty_final_response: true } : {};
      if (!stream.write(encodeInferRequest(r.model, r.inputs, r, extra))) await once(stream, 'drain');
    }
    stream.end();
  })();
  writing.catch((e: unknown) => {
    queue.fail(e instanceof InferenceServerError ? e : InferenceServerError.from(e, { transport: 'grpc' }));
    stream.cancel();
  });

  let finished = false;
  try {
    for (;;) {
      const next = await queue.next();
      if (next.done === true) break;
      if (paused && queue.size <= HIGH_WATER / 2) {
        paused = false;
        stream.resume();
      }
      yield toStreamResponse(next.value);
    }
    finished = true;
  } finally {
    stopped = true;
    call.signal?.removeEventListener('abort', onAbort);
    call.dispose();
    if (!finished) stream.cancel();
  }
}

const SERVER_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'INVALID_ARG',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'UNAVAILABLE',
  'UNSUPPORTED',
  'INTERNAL',
  'UNKNOWN',
  'CANCELLED',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
]);

/** The code a tensorgate server put on a streamed error, else UNKNOWN (other servers send none). */
function streamedCode(value: unknown): ErrorCode {
  return typeof value === 'string' && SERVER_CODES.has(value) ? (value as ErrorCode) : 'UNKNOWN';
}

/** One stream message as a {@link StreamResponse}. */
export function toStreamResponse(m: ModelStreamInferResponseMessage): StreamResponse {
  const resp = m.infer_response ?? undefined;
  const requestId = resp?.id ?? '';
  if (m.error_message !== undefined && m.error_message !== '') {
    const params = resp === undefined ? {} : decodeParameters(resp.parameters);
    const final = params[FINAL_RESPONSE_PARAMETER] !== false;
    const code = streamedCode(params[ERROR_CODE_PARAMETER]);
    const error = new InferenceServerError(m.error_message, { code, transport: 'grpc', requestId });
    return { error, result: undefined, requestId, final };
  }
  const result = decodeInferResponse(resp ?? { model_name: '', model_version: '', id: '' });
  return { error: undefined, result, requestId, final: result.final };
}
