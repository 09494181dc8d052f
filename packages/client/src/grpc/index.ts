/** The gRPC transport (Node only: @grpc/grpc-js). */
export { GrpcInferenceClient } from './grpc-client.js';
export type { GrpcClientOptions, GrpcKeepaliveOptions, GrpcTlsOptions } from './grpc-options.js';
export { DEFAULT_GRPC_KEEPALIVE } from './grpc-options.js';
export type { StreamInferRequest, StreamResponse } from './stream-types.js';
