/** The gRPC frontend's public surface, for the composition root. */
export {
  createGrpcFrontend,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  DEFAULT_MAX_SEND_MESSAGE_BYTES,
  type GrpcFrontend,
  type GrpcFrontendOptions,
} from './grpc-server.js';
export { grpcStatusOf, toGrpcError, type GrpcError } from './grpc-status.js';
export type { GrpcTransportKind } from './grpc-transport.js';
export { DEFAULT_GRPC_CONNECTION_LIMITS, type GrpcConnectionLimits } from './connection-limits.js';
export { LogSettingsStore, type LogSettingsValues } from '../../core/log-settings.js';
export {
  HEALTH_SERVICE_NAME,
  INFERENCE_SERVICE_NAME,
  LLM_SERVICE_NAME,
  serviceDefinitionOf,
} from './service-definition.js';
