/**
 * @tensorgate/client: TypeScript client for tensorgate, Triton and KServe v2 inference servers
 * over gRPC and HTTP. This entry exports both transports (Node). Browser bundles import
 * `@tensorgate/client/http`, which does not load grpc-js or any node: module.
 */
export const CLIENT_VERSION = '0.1.0';
export * from './shared.js';
export * from './http/index.js';
export * from './grpc/index.js';
export { InferenceClient } from './inference-client.js';
