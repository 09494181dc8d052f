/**
 * Server and model information RPCs: ServerLive, ServerReady, ServerMetadata, ModelReady,
 * ModelMetadata, ModelConfig and ModelStatistics. The core returns proto-shaped objects
 * (snake_case, see core/protocol-shapes.ts); they are checked and converted with protobufjs
 * `fromObject` (enum names to numbers, nested messages) before encoding.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ModelNameVersionRequestMessage } from '@tensorgate/protocol';
import type { Logger } from 'pino';
import type { InferenceCore } from '../../core/inference-core.js';
import { messageType } from './service-definition.js';
import { unary } from './unary.js';

/** '' means "let the server choose" on the wire; the core takes undefined for that. */
export function optionalVersion(version: string): string | undefined {
  return version === '' ? undefined : version;
}

/**
 * Handlers of the information RPCs, keyed by RPC name.
 *
 * @example
 * ```ts
 * server.addService(definition, { ...modelHandlers(core, logger), ...otherHandlers });
 * ```
 */
export function modelHandlers(core: InferenceCore, logger: Logger): UntypedServiceImplementation {
  const ModelMetadataResponse = messageType('inference.ModelMetadataResponse');
  const ModelConfigResponse = messageType('inference.ModelConfigResponse');
  const ModelConfig = messageType('inference.ModelConfig');
  const ModelStatisticsResponse = messageType('inference.ModelStatisticsResponse');
  return {
    ServerLive: unary(logger, () => ({ live: core.isLive() })),
    ServerReady: unary(logger, () => ({ ready: core.isReady() })),
    ServerMetadata: unary(logger, () => core.serverMetadata()),
    ModelReady: unary(logger, (req: ModelNameVersionRequestMessage) => ({
      ready: core.isModelReady(req.name, optionalVersion(req.version)),
    })),
    ModelMetadata: unary(logger, (req: ModelNameVersionRequestMessage) =>
      ModelMetadataResponse.fromObject(core.modelMetadata(req.name, optionalVersion(req.version))),
    ),
    ModelConfig: unary(logger, (req: ModelNameVersionRequestMessage) =>
      ModelConfigResponse.create({
        config: ModelConfig.fromObject(core.modelConfig(req.name, optionalVersion(req.version))),
      }),
    ),
    ModelStatistics: unary(logger, (req: ModelNameVersionRequestMessage) =>
      ModelStatisticsResponse.fromObject({
        model_stats: core.modelStatistics(req.name, optionalVersion(req.version)),
      }),
    ),
  };
}
