/**
 * The unary ModelInfer RPC: decode → core.infer (exactly one response, decoupled models
 * rejected by the core) → encode. Kept lean because it is the throughput path measured by the
 * benchmarks: one scope object, one context object, no per-call closures.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { ModelInferRequestMessage, ModelInferResponseMessage } from '@tensorgate/protocol';
import type { Logger } from 'pino';
import { InferenceError } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { systemClock } from '../../core/clock.js';
import type { RequestTrace } from '../../core/trace/request-trace.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import { CallScope } from './call-scope.js';
import { startGrpcTrace } from './grpc-trace.js';
import { toGrpcError } from './grpc-status.js';
import { decodeInferRequest, encodeInferResponse } from './infer-codec.js';
import {
  openSharedMemoryTensors,
  usesSharedMemory,
  writeSharedMemoryOutputs,
  type SharedMemoryTensors,
} from '../shared-memory/shm-tensors.js';
import type { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';

/**
 * Runs one ModelInfer call to completion and answers through `callback`. Never rejects.
 *
 * @example
 * ```ts
 * ModelInfer: (call, callback) => void runModelInfer(core, logger, call, callback)
 * ```
 */
export async function runModelInfer(
  core: InferenceCore,
  logger: Logger,
  call: ServerUnaryCall<ModelInferRequestMessage, ModelInferResponseMessage>,
  callback: sendUnaryData<ModelInferResponseMessage>,
  traces?: TraceManager,
  sharedMemory?: SharedMemoryRegistry,
): Promise<void> {
  const scope = new CallScope(call);
  let trace: RequestTrace | undefined;
  let shm: SharedMemoryTensors | undefined;
  try {
    let request = decodeInferRequest(call.request);
    trace = traces === undefined ? undefined : startGrpcTrace(traces, request.modelName, call);
    if (sharedMemory !== undefined && usesSharedMemory(request)) {
      shm = await openSharedMemoryTensors(request, sharedMemory, 'grpc');
      request = shm.request;
    }
    const responses = core.infer(request, {
      signal: scope.signal,
      protocol: 'grpc',
      allowDecoupled: false,
      inputBuffersOwned: true,
      trace,
    });
    const iterator = responses[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true) {
      throw new InferenceError('INTERNAL', `model '${request.modelName}' produced no response`);
    }
    // A non-decoupled model yields one final response; release the stream if it did not say so.
    if (!first.value.final) void iterator.return?.();
    const response =
      shm === undefined ? first.value : (await writeSharedMemoryOutputs(first.value, shm.outputs)).response;
    const message = encodeInferResponse(response);
    trace?.capture('GRPC_SEND_START', systemClock.nowNs());
    callback(null, message);
  } catch (err) {
    if (!(err instanceof InferenceError)) logger.error({ err }, 'ModelInfer failed unexpectedly');
    trace?.capture('GRPC_SEND_START', systemClock.nowNs());
    callback(toGrpcError(err));
  } finally {
    shm?.release();
    scope.close();
    if (trace) {
      trace.capture('GRPC_SEND_END', systemClock.nowNs());
      trace.release();
    }
  }
}
