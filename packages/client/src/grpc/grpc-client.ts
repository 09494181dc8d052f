/**
 * The gRPC client (Node only: built on @grpc/grpc-js): every RPC of GRPCInferenceService the
 * {@link InferenceClient} interface needs, plus the bidirectional `streamInfer`.
 */
import type * as grpc from '@grpc/grpc-js';
import type {
  ModelInferResponseMessage,
  ModelRepositoryParameterMessage,
  RepositoryIndexRequestMessage,
  RepositoryModelRequestMessage,
} from '@tensorgate/protocol/grpc-types';
import type protobuf from 'protobufjs';
import { callSignal } from '../call-signal.js';
import { InferenceServerError, invalidArgument } from '../errors.js';
import type { InferenceClient } from '../inference-client.js';
import type { InferInput } from '../infer-input.js';
import type { InferResult } from '../infer-result.js';
import type {
  CallOptions,
  InferOptions,
  LoadModelOptions,
  ModelVersion,
  RepositoryIndexOptions,
  UnloadModelOptions,
} from '../options.js';
import { inSequence, versionString } from '../request-parameters.js';
import { retryPolicy, withRetries } from '../retry.js';
import type {
  InferenceStatistics,
  ModelConfig,
  ModelMetadata,
  RepositoryIndexEntry,
  ServerMetadata,
} from '../server-types.js';
import { createChannel, metadataOf, rpcMethod } from './grpc-channel.js';
import { grpcTarget } from './grpc-target.js';
import { decodeInferResponse, encodeInferRequest } from './grpc-codec.js';
import { fromGrpcError } from './grpc-errors.js';
import type { GrpcClientOptions } from './grpc-options.js';
import { streamInfer } from './stream-infer.js';
import type { StreamInferRequest, StreamResponse } from './stream-types.js';

/** `toObject` options for the information RPCs: JSON-like objects (enum names, numbers, defaults). */
const PLAIN: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: true, arrays: true };

/**
 * gRPC client; see {@link InferenceClient} for the shared methods. One HTTP/2 channel per client;
 * calls are multiplexed on it, so share one client across concurrent calls.
 *
 * @example
 * ```ts
 * const client = new GrpcInferenceClient('localhost:8001', { keepalive: { timeMs: 30_000 } });
 * const result = await client.infer('simple', [a, b]);
 * ```
 */
export class GrpcInferenceClient implements InferenceClient {
  /** Always 'grpc'. */
  readonly transport = 'grpc' as const;
  /** The grpc-js target, e.g. `localhost:8001` or `ipv4:10.0.0.1:8001,10.0.0.2:8001`. */
  readonly target: string;
  private readonly options: GrpcClientOptions;
  private readonly channel: grpc.Client;
  private closed = false;

  /**
   * @param target - `host:port`, another grpc-js target (`dns:///host:port` for every address a
   *   name resolves to), or several replicas as an array or comma-separated list of `ip:port`;
   *   the channel connects lazily.
   */
  constructor(target: string | readonly string[], options: GrpcClientOptions = {}) {
    this.target = grpcTarget(target);
    this.options = options;
    this.channel = createChannel(this.target, options);
  }

  async isServerLive(options: CallOptions = {}): Promise<boolean> {
    return ((await this.unary('ServerLive', {}, options)) as unknown as { live: boolean }).live;
  }

  async isServerReady(options: CallOptions = {}): Promise<boolean> {
    return ((await this.unary('ServerReady', {}, options)) as unknown as { ready: boolean }).ready;
  }

  async isModelReady(name: string, version?: ModelVersion, options: CallOptions = {}): Promise<boolean> {
    const req = { name, version: versionString(version) };
    return ((await this.unary('ModelReady', req, options)) as unknown as { ready: boolean }).ready;
  }

  async getServerMetadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return (await this.plain('ServerMetadata', {}, options)) as unknown as ServerMetadata;
  }

  async getModelMetadata(name: string, version?: ModelVersion, options: CallOptions = {}): Promise<ModelMetadata> {
    const req = { name, version: versionString(version) };
    return (await this.plain('ModelMetadata', req, options)) as unknown as ModelMetadata;
  }

  async getModelConfig(name: string, version?: ModelVersion, options: CallOptions = {}): Promise<ModelConfig> {
    const req = { name, version: versionString(version) };
    return ((await this.plain('ModelConfig', req, options)) as { config: ModelConfig }).config;
  }

  async getModelRepositoryIndex(options: RepositoryIndexOptions = {}): Promise<RepositoryIndexEntry[]> {
    const req: RepositoryIndexRequestMessage = { repository_name: '', ready: options.readyOnly === true };
    return ((await this.plain('RepositoryIndex', req, options)) as { models: RepositoryIndexEntry[] }).models;
  }

  async loadModel(name: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, ModelRepositoryParameterMessage> = {};
    if (options.config !== undefined) {
      const config = typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
      parameters['config'] = { string_param: config };
    }
    const req: RepositoryModelRequestMessage = { repository_name: '', model_name: name, parameters };
    await this.unary('RepositoryModelLoad', req, options);
  }

  async unloadModel(name: string, options: UnloadModelOptions = {}): Promise<void> {
    const parameters: Record<string, ModelRepositoryParameterMessage> = {};
    if (options.unloadDependents !== undefined)
      parameters['unload_dependents'] = { bool_param: options.unloadDependents };
    const req: RepositoryModelRequestMessage = { repository_name: '', model_name: name, parameters };
    await this.unary('RepositoryModelUnload', req, options);
  }

  async getInferenceStatistics(
    name?: string,
    version?: ModelVersion,
    options: CallOptions = {},
  ): Promise<InferenceStatistics> {
    const req = { name: name ?? '', version: versionString(version) };
    return (await this.plain('ModelStatistics', req, options)) as unknown as InferenceStatistics;
  }

  async infer(model: string, inputs: readonly InferInput[], options: InferOptions = {}): Promise<InferResult> {
    const request = encodeInferRequest(model, inputs, options);
    const response = await this.unary('ModelInfer', request, options, request.id, !inSequence(options));
    return decodeInferResponse(response as unknown as ModelInferResponseMessage);
  }

  /**
   * Bidirectional streaming inference (`ModelStreamInfer`), for decoupled models (several
   * responses per request) and for pipelining many requests on one call. Requests are sent as
   * `requests` yields them; the returned iterable yields every response and ends once `requests`
   * has ended and the server has answered all of them. A failed request yields a response with
   * `error` set and the stream goes on. Streams are not retried; `options.timeoutMs` limits the
   * whole stream.
   *
   * @example
   * ```ts
   * const requests = [{ model: 'repeat_int32', inputs, requestId: 'a', enableEmptyFinalResponse: true }];
   * for await (const r of client.streamInfer(requests)) {
   *   if (r.error) console.error(r.requestId, r.error.message);
   *   else if (r.result.outputNames.length > 0) console.log(r.result.asTypedArray('OUT'));
   * }
   * ```
   */
  streamInfer(
    requests: AsyncIterable<StreamInferRequest> | Iterable<StreamInferRequest>,
    options: CallOptions = {},
  ): AsyncIterable<StreamResponse> {
    if (this.closed) throw invalidArgument('the client is closed');
    return streamInfer(this.channel, requests, options, this.options);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channel.close();
  }

  /** A unary RPC whose response is converted to a plain object (enum names, number longs, defaults). */
  private async plain(method: string, request: object, options: CallOptions): Promise<Record<string, unknown>> {
    const message = await this.unary(method, request, options);
    return rpcMethod(method).responseType.toObject(message, PLAIN);
  }

  /** One unary RPC with the call's deadline, signal, metadata and retries. */
  private async unary(
    name: string,
    request: object,
    options: CallOptions,
    requestId = '',
    idempotent = true,
  ): Promise<protobuf.Message> {
    if (this.closed) throw invalidArgument('the client is closed');
    const method = rpcMethod(name);
    const call = callSignal(options.timeoutMs ?? this.options.timeoutMs, options.signal, 'grpc', requestId);
    const waitForReady = options.waitForReady ?? this.options.waitForReady;
    const metadata = metadataOf(waitForReady, this.options.headers, options.headers);
    try {
      return await withRetries(
        () =>
          new Promise<protobuf.Message>((resolve, reject) => {
            if (call.signal?.aborted) return reject(call.signal.reason);
            const callOptions: grpc.CallOptions = call.deadline === undefined ? {} : { deadline: call.deadline };
            const onAbort = (): void => pending.cancel();
            const pending = this.channel.makeUnaryRequest(
              method.path,
              method.serialize,
              method.deserialize,
              request,
              metadata,
              callOptions,
              (err, value) => {
                call.signal?.removeEventListener('abort', onAbort);
                if (err) reject(call.signal?.aborted ? call.signal.reason : fromGrpcError(err, requestId));
                else resolve(value!);
              },
            );
            call.signal?.addEventListener('abort', onAbort, { once: true });
          }),
        retryPolicy(options.retry ?? this.options.retry),
        call.signal,
        {},
        { idempotent, deadline: call.deadline, waitForReady },
      );
    } catch (e) {
      throw e instanceof InferenceServerError ? e : fromGrpcError(e, requestId);
    } finally {
      call.dispose();
    }
  }
}
