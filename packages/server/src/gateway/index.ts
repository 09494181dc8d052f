/**
 * `tensorgate gateway`: friendly JSON (and SSE) endpoints declared in a routes file, in front of
 * one or more tensorgate / Triton servers reached over gRPC through @tensorgate/client.
 */
export { startGateway, DEFAULT_HEALTH_INTERVAL_MS } from './start-gateway.js';
export type { GatewayOptions, RunningGateway } from './start-gateway.js';
export { buildGatewayApp, DEFAULT_GATEWAY_BODY_LIMIT_BYTES } from './gateway-server.js';
export type { GatewayAppOptions } from './gateway-server.js';
export { loadRoutesFile, parseRoutesText, validateRoutes, RoutesFileError } from './route-file.js';
export type { RouteFileOptions } from './route-file.js';
export type * from './route-types.js';
export { UpstreamPool, systemGatewayClock } from './upstream-pool.js';
export type { GatewayClock, UpstreamStatus, UpstreamTransport, UpstreamPoolOptions } from './upstream-pool.js';
export type { GatewayTransport, UpstreamCall, RequestedOutput } from './gateway-transport.js';
export type { OutputTensor } from './response-shaping.js';
export type { MappedTensor } from './tensor-mapping.js';
export { grpcTransport } from './grpc-transport.js';
export { buildOpenApi } from './openapi.js';
export { NoUpstreamError, toHttpFailure, isRetryable } from './upstream-errors.js';
