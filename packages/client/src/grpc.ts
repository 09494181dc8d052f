/**
 * `@tensorgate/client/grpc`: the gRPC client and the shared API, without the HTTP client.
 *
 * @example
 * ```ts
 * import { GrpcInferenceClient, InferInput } from '@tensorgate/client/grpc';
 * const client = new GrpcInferenceClient('localhost:8001');
 * ```
 */
export * from './shared.js';
export * from './grpc/index.js';
export type { InferenceClient } from './inference-client.js';
