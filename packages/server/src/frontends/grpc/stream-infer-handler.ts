/**
 * The bidirectional ModelStreamInfer RPC. One {@link StreamInferSession} per stream:
 *
 * - every request read from the stream runs at once, concurrently with the others;
 * - each core response is written as `ModelStreamInferResponse{infer_response}` carrying the
 *   `triton_final_response` parameter (true on the last response of its request), as Triton does;
 * - a decoupled model's bare "final" marker is written as an empty response only when the
 *   request set `triton_enable_empty_final_response`;
 * - a request's failure is written as `error_message` (with the request's id, model,
 *   `triton_final_response: true` and its error code as `tensorgate_error_code` in
 *   `infer_response`) and never ends the stream;
 * - the stream ends with status OK once the client has half-closed and every response is
 *   written; a client cancel (or the stream's deadline) aborts every in-flight request;
 * - while the client does not read responses (the write buffer is full), no further requests
 *   are read, so HTTP/2 flow control pushes back on the client.
 */
import { once } from 'node:events';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type {
  ModelInferRequestMessage,
  ModelInferResponseMessage,
  ModelStreamInferResponseMessage,
} from '@tensorgate/protocol';
import type { Logger } from 'pino';
import { InferenceError } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import type { InferResponse, RequestContext } from '../../core/types.js';
import { systemClock } from '../../core/clock.js';
import type { RequestTrace } from '../../core/trace/request-trace.js';
import type { TraceManager } from '../../core/trace/trace-manager.js';
import { CallScope } from './call-scope.js';
import { startGrpcTrace } from './grpc-trace.js';
import {
  decodeInferRequest,
  emptyFinalRequested,
  encodeInferResponse,
  ERROR_CODE_PARAMETER,
  FINAL_RESPONSE_PARAMETER,
} from './infer-codec.js';
import {
  openSharedMemoryTensors,
  usesSharedMemory,
  writeSharedMemoryOutputs,
  type SharedMemoryTensors,
} from '../shared-memory/shm-tensors.js';
import type { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';

/** A grpc-js ModelStreamInfer call. */
export type StreamInferCall = ServerDuplexStream<ModelInferRequestMessage, ModelStreamInferResponseMessage>;

/**
 * Serves one ModelStreamInfer stream until it ends or is cancelled.
 *
 * @example
 * ```ts
 * ModelStreamInfer: (call) => new StreamInferSession(core, logger, call)
 * ```
 */
export class StreamInferSession {
  private readonly scope: CallScope;
  private readonly ctx: RequestContext;
  private inFlight = 0;
  private halfClosed = false;
  private ended = false;
  /** Pending while responses wait for the write buffer to drain (reading is paused meanwhile). */
  private drained: Promise<void> | undefined;

  constructor(
    private readonly core: InferenceCore,
    private readonly logger: Logger,
    private readonly call: StreamInferCall,
    private readonly traces?: TraceManager,
    private readonly sharedMemory?: SharedMemoryRegistry,
  ) {
    this.scope = new CallScope(call);
    // Every streamed message is reassembled into its own buffer, so the inputs are ours to move.
    this.ctx = { signal: this.scope.signal, protocol: 'grpc', allowDecoupled: true, inputBuffersOwned: true };
    call.on('data', (msg: ModelInferRequestMessage) => this.onRequest(msg));
    call.on('end', () => {
      this.halfClosed = true;
      this.maybeEnd();
    });
    call.once('cancelled', () => this.scope.close());
    call.on('error', (err: Error) => {
      this.logger.debug({ err }, 'ModelStreamInfer stream error');
      this.scope.abort(new InferenceError('CANCELLED', 'stream failed'));
      this.scope.close();
    });
  }

  private onRequest(msg: ModelInferRequestMessage): void {
    this.inFlight++;
    void this.serve(msg).finally(() => {
      this.inFlight--;
      this.maybeEnd();
    });
  }

  /** Runs one request of the stream; writes its responses or its error. Never rejects. */
  private async serve(msg: ModelInferRequestMessage): Promise<void> {
    let trace: RequestTrace | undefined;
    let shm: SharedMemoryTensors | undefined;
    try {
      let request = decodeInferRequest(msg);
      if (this.sharedMemory !== undefined && usesSharedMemory(request)) {
        shm = await openSharedMemoryTensors(request, this.sharedMemory, 'grpc');
        request = shm.request;
      }
      const sendEmptyFinal = emptyFinalRequested(msg);
      const traces = this.traces;
      trace = traces === undefined ? undefined : startGrpcTrace(traces, request.modelName, this.call);
      const ctx = trace === undefined ? this.ctx : { ...this.ctx, trace };
      for await (let response of this.core.infer(request, ctx)) {
        if (trace !== undefined && response.final) trace.capture('GRPC_SEND_START', systemClock.nowNs());
        if (response.emptyFinal === true && !sendEmptyFinal) continue;
        if (shm !== undefined && response.emptyFinal !== true) {
          response = (await writeSharedMemoryOutputs(response, shm.outputs)).response;
        }
        if (response.error) {
          // A decoupled model's non-final error: reported, and its request goes on.
          const infer_response = this.encode(response);
          infer_response.parameters = {
            ...infer_response.parameters,
            [ERROR_CODE_PARAMETER]: { string_param: response.error.code },
          };
          await this.write({ error_message: response.error.message, infer_response });
          continue;
        }
        await this.write({ infer_response: this.encode(response) });
      }
    } catch (err) {
      if (this.scope.signal.aborted) return; // the client is gone: nobody to tell
      if (!(err instanceof InferenceError)) this.logger.error({ err }, 'ModelStreamInfer request failed unexpectedly');
      const e = InferenceError.from(err);
      await this.write({
        error_message: e.message,
        infer_response: {
          model_name: msg.model_name,
          model_version: msg.model_version,
          id: msg.id,
          parameters: {
            [FINAL_RESPONSE_PARAMETER]: { bool_param: true },
            [ERROR_CODE_PARAMETER]: { string_param: e.code },
          },
        },
      }).catch(() => undefined);
    } finally {
      shm?.release();
      if (trace !== undefined) {
        if (trace.stamp('GRPC_SEND_START') === undefined) trace.capture('GRPC_SEND_START', systemClock.nowNs());
        trace.capture('GRPC_SEND_END', systemClock.nowNs());
        trace.release();
      }
    }
  }

  private encode(response: InferResponse): ModelInferResponseMessage {
    if (response.emptyFinal === true) {
      return {
        model_name: response.modelName,
        model_version: response.modelVersion,
        id: response.id,
        parameters: { [FINAL_RESPONSE_PARAMETER]: { bool_param: true } },
      };
    }
    const message = encodeInferResponse(response);
    message.parameters[FINAL_RESPONSE_PARAMETER] = { bool_param: response.final };
    return message;
  }

  /** Writes one message, waiting for the stream to drain when its buffer is full. */
  private async write(message: ModelStreamInferResponseMessage): Promise<void> {
    if (this.scope.signal.aborted || this.ended) return;
    if (this.call.write(message)) return;
    // One wait shared by every writer, so many blocked requests do not add a listener each.
    this.drained ??= this.waitForDrain();
    await this.drained;
  }

  /**
   * The client is not reading responses as fast as they come: stop reading its requests until
   * the write buffer drains. Otherwise a client that writes without reading makes the server
   * run (and buffer the responses of) every request it sends.
   */
  private async waitForDrain(): Promise<void> {
    this.call.pause();
    try {
      await once(this.call, 'drain', { signal: this.scope.signal.abortSignal });
    } finally {
      this.drained = undefined;
      if (!this.scope.signal.aborted) this.call.resume();
    }
  }

  private maybeEnd(): void {
    if (!this.halfClosed || this.inFlight > 0 || this.ended) return;
    this.ended = true;
    this.scope.close();
    this.call.end();
  }
}
