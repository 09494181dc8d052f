/**
 * The standard gRPC health service (`grpc.health.v1.Health`), served on the inference port like
 * Triton does, for Kubernetes gRPC probes and grpc_health_probe.
 *
 * Check answers SERVING when the core is ready and NOT_SERVING otherwise, for the server as a
 * whole ('') and for `inference.GRPCInferenceService`, `llm.LLMService` and each custom service
 * (`--grpc-services`); any other service is NOT_FOUND. Watch
 * sends the current status, then each change (polled once a second), until the client cancels
 * or the frontend closes; an unknown service is reported as SERVICE_UNKNOWN, as the health
 * protocol asks.
 */
import { status as GrpcStatus, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  ServingStatus,
  type HealthCheckRequestMessage,
  type HealthCheckResponseMessage,
  type ServingStatusValue,
} from '@tensorgate/protocol';
import type { InferenceCore } from '../../core/inference-core.js';
import { INFERENCE_SERVICE_NAME, LLM_SERVICE_NAME } from './service-definition.js';
import { boundGrpcDetails } from './grpc-status.js';

/** How often Watch re-reads readiness. */
export const HEALTH_WATCH_INTERVAL_MS = 1000;

type WatchCall = ServerWritableStream<HealthCheckRequestMessage, HealthCheckResponseMessage>;

/** The health service's handlers and a way to end open Watch streams on shutdown. */
export interface HealthService {
  readonly implementation: UntypedServiceImplementation;
  /** Ends every open Watch stream (so a graceful shutdown does not wait for them). */
  close(): void;
}

/**
 * Creates the health service over the core's readiness.
 *
 * @example
 * ```ts
 * const health = createHealthService(core);
 * server.addService(serviceDefinitionOf(HEALTH_SERVICE_NAME), health.implementation);
 * ```
 */
export function createHealthService(
  core: InferenceCore,
  intervalMs = HEALTH_WATCH_INTERVAL_MS,
  customServices: readonly string[] = [],
): HealthService {
  const watchers = new Map<WatchCall, NodeJS.Timeout>();
  const known = (service: string): boolean =>
    service === '' ||
    service === INFERENCE_SERVICE_NAME ||
    service === LLM_SERVICE_NAME ||
    customServices.includes(service);
  const current = (service: string): ServingStatusValue =>
    !known(service)
      ? ServingStatus.SERVICE_UNKNOWN
      : core.isReady()
        ? ServingStatus.SERVING
        : ServingStatus.NOT_SERVING;

  const implementation: UntypedServiceImplementation = {
    Check: (
      call: { request: HealthCheckRequestMessage },
      callback: (err: { code: GrpcStatus; details: string } | null, value?: HealthCheckResponseMessage) => void,
    ) => {
      const service = call.request.service;
      if (!known(service)) {
        callback({ code: GrpcStatus.NOT_FOUND, details: boundGrpcDetails(`unknown service '${service}'`) });
        return;
      }
      callback(null, { status: current(service) });
    },
    Watch: (call: WatchCall) => {
      const service = call.request.service;
      let last = current(service);
      call.write({ status: last });
      const timer = setInterval(() => {
        const now = current(service);
        if (now !== last) {
          last = now;
          call.write({ status: now });
        }
      }, intervalMs);
      watchers.set(call, timer);
      const stop = (): void => {
        clearInterval(timer);
        watchers.delete(call);
      };
      call.once('cancelled', stop);
      call.once('close', stop);
      call.once('error', stop);
    },
  };

  return {
    implementation,
    close(): void {
      for (const [call, timer] of [...watchers]) {
        clearInterval(timer);
        watchers.delete(call);
        call.end();
      }
    },
  };
}
