/**
 * The transport-independent client interface and its two factories. Code written against
 * {@link InferenceClient} works the same over gRPC and HTTP; transport-only features
 * (gRPC `streamInfer`, HTTP `generate`) live on the concrete classes.
 */
import { GrpcInferenceClient } from './grpc/grpc-client.js';
import type { GrpcClientOptions } from './grpc/grpc-options.js';
import { HttpInferenceClient } from './http/http-client.js';
import type { HttpClientOptions } from './http/http-options.js';
import type { InferInput } from './infer-input.js';
import type { InferResult } from './infer-result.js';
import type {
  CallOptions,
  InferOptions,
  LoadModelOptions,
  ModelVersion,
  RepositoryIndexOptions,
  UnloadModelOptions,
} from './options.js';
import type {
  InferenceStatistics,
  ModelConfig,
  ModelMetadata,
  RepositoryIndexEntry,
  ServerMetadata,
} from './server-types.js';

/**
 * A client of a KServe v2 / Triton inference server (tensorgate, Triton, KServe runtimes).
 * Every method fails with an {@link InferenceServerError}.
 *
 * @example
 * ```ts
 * const client = InferenceClient.grpc('localhost:8001'); // or InferenceClient.http('http://localhost:8000')
 * const a = new InferInput('INPUT0', [1, 16], 'INT32').setData(new Int32Array(16).fill(2));
 * const b = new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1));
 * const result = await client.infer('simple', [a, b], { timeoutMs: 1000 });
 * result.asTypedArray('OUTPUT0'); // Int32Array [3, 3, ...]
 * await client.close();
 * ```
 */
export interface InferenceClient {
  /** Which protocol this client speaks. */
  readonly transport: 'grpc' | 'http';
  /** Whether the server process is live. */
  isServerLive(options?: CallOptions): Promise<boolean>;
  /** Whether the server is ready to serve inferences. */
  isServerReady(options?: CallOptions): Promise<boolean>;
  /** Whether a model (version) is ready; false, not an error, for an unknown model. */
  isModelReady(name: string, version?: ModelVersion, options?: CallOptions): Promise<boolean>;
  /** Server name, version and extensions. */
  getServerMetadata(options?: CallOptions): Promise<ServerMetadata>;
  /** A model's versions, platform, inputs and outputs. */
  getModelMetadata(name: string, version?: ModelVersion, options?: CallOptions): Promise<ModelMetadata>;
  /** A model's complete configuration. */
  getModelConfig(name: string, version?: ModelVersion, options?: CallOptions): Promise<ModelConfig>;
  /** Every model in the repository with its version, state and reason. */
  getModelRepositoryIndex(options?: RepositoryIndexOptions): Promise<RepositoryIndexEntry[]>;
  /** Loads or reloads a model (the server must allow explicit model control). */
  loadModel(name: string, options?: LoadModelOptions): Promise<void>;
  /** Unloads a model (the server must allow explicit model control). */
  unloadModel(name: string, options?: UnloadModelOptions): Promise<void>;
  /** Inference statistics of one model (version) or, without a name, of every model. */
  getInferenceStatistics(name?: string, version?: ModelVersion, options?: CallOptions): Promise<InferenceStatistics>;
  /** Runs one inference. */
  infer(model: string, inputs: readonly InferInput[], options?: InferOptions): Promise<InferResult>;
  /** Releases the connection(s); calls made afterwards fail. */
  close(): Promise<void>;
}

/**
 * Factories for the two transports.
 *
 * @example
 * ```ts
 * const grpcClient = InferenceClient.grpc('localhost:8001', { retry: { maxAttempts: 3 } });
 * const httpClient = InferenceClient.http('http://localhost:8000', { timeoutMs: 5000 });
 * ```
 */
export const InferenceClient = {
  /**
   * A gRPC client (Node only). `target` is `host:port`, any grpc-js target (`dns:///host:8001`
   * balances over every address the name resolves to), or several replicas (`['10.0.0.1:8001',
   * '10.0.0.2:8001']` or the same as a comma-separated list); TLS is chosen with `options.tls`.
   */
  grpc(target: string | readonly string[], options: GrpcClientOptions = {}): GrpcInferenceClient {
    return new GrpcInferenceClient(target, options);
  },
  /**
   * An HTTP/REST client over global `fetch`; `baseUrl` is e.g. `http://host:8000` or an https
   * URL, or several replicas' (an array or a comma-separated list), balanced round robin.
   */
  http(baseUrl: string | readonly string[], options: HttpClientOptions = {}): HttpInferenceClient {
    return new HttpInferenceClient(baseUrl, options);
  },
};
