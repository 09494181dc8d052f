/**
 * The six shared-memory RPCs of GRPCInferenceService (Triton's shared-memory extension). System
 * regions live in the server's {@link SharedMemoryRegistry}, shared with HTTP; CUDA regions are
 * never registered: status lists none, unregister succeeds, register answers UNSUPPORTED.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';
import { unary } from './unary.js';

interface NameRequest {
  name: string;
}

interface SystemRegisterRequest {
  name: string;
  key: string;
  offset: number;
  byte_size: number;
}

/**
 * Handlers of the shared-memory RPCs, keyed by RPC name.
 *
 * @example
 * ```ts
 * server.addService(definition, { ...sharedMemoryHandlers(registry, logger) });
 * ```
 */
export function sharedMemoryHandlers(registry: SharedMemoryRegistry, logger: Logger): UntypedServiceImplementation {
  return {
    SystemSharedMemoryStatus: unary(logger, (req: NameRequest) => {
      const regions: Record<string, object> = {};
      for (const r of registry.status(req.name)) regions[r.name] = r;
      return { regions };
    }),
    SystemSharedMemoryRegister: unary(logger, async (req: SystemRegisterRequest) => {
      await registry.register(req.name, req.key, Number(req.offset), Number(req.byte_size));
      return {};
    }),
    SystemSharedMemoryUnregister: unary(logger, (req: NameRequest) => {
      registry.unregister(req.name);
      return {};
    }),
    CudaSharedMemoryStatus: unary(logger, (req: NameRequest) => {
      registry.cudaStatus(req.name);
      return { regions: {} };
    }),
    CudaSharedMemoryRegister: unary(logger, () => registry.cudaRegister()),
    CudaSharedMemoryUnregister: unary(logger, () => {
      registry.cudaUnregister();
      return {};
    }),
  };
}
