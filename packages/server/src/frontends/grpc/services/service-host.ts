/**
 * The main-thread side of custom gRPC services: starts the service workers (service-worker-main.ts),
 * hands each call to the least busy one as packet operations (service-ops.ts), runs the calls
 * their handlers make to served models through the core (the js backend's `ModelCalls`, exactly
 * as for a JS model's BLS calls) and passes responses and statuses back to the call's sink.
 * A worker that dies fails its calls with UNAVAILABLE and is replaced.
 */
import type { Logger } from 'pino';
import type { ModelCaller } from '../../../backend-api/backend.js';
import { startWorker } from '../../../backends/js/worker-entry.js';
import { backgroundClock, type Clock } from '../../../core/clock.js';
import type { TraceManager } from '../../../core/trace/trace-manager.js';
import { ServiceOp, type ServiceWorkerInit } from './service-ops.js';
import { HostCall, ServiceWorker, type ServiceCallSink, type WorkerOwner } from './service-worker-link.js';
import {
  listServiceFolders,
  loadServiceProto,
  rpcsOf,
  ServiceLoadError,
  type RpcInfo,
  type ServiceFolder,
} from './service-protos.js';

const here = import.meta.url;
/** The worker entry next to this module (`.ts` when running from source under tsx). */
const SERVICE_WORKER_URL = new URL(
  here.endsWith('.ts') ? './service-worker-main.ts' : './service-worker-main.js',
  here,
);

/** Default number of service worker threads (`--grpc-service-threads`). */
export const DEFAULT_SERVICE_THREADS = 2;

/** Options of {@link ServiceHost.start}. */
export interface ServiceHostOptions {
  /** Worker threads running handlers (each loads every service). */
  readonly threads: number;
  /** The core's infer, for handlers' `models` calls; absent: such calls answer UNAVAILABLE. */
  readonly caller: ModelCaller | undefined;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Tracing (`--trace-config`, the trace extension): handlers' model calls are sampled by model name. */
  readonly traces?: TraceManager | undefined;
}
/**
 * The custom services of one `--grpc-services` folder, loaded and running.
 *
 * @example
 * ```ts
 * const host = await ServiceHost.start('examples/grpc_services', { threads: 2, caller, logger });
 * for (const rpc of host.rpcs) console.log(rpc.path);
 * await host.close();
 * ```
 */
export class ServiceHost implements WorkerOwner {
  private readonly workers: ServiceWorker[] = [];
  private nextKey = 1;
  private closing = false;
  private readonly clock: Clock;

  private constructor(
    /** The root folder (`--grpc-services`). */
    readonly root: string,
    readonly folders: readonly ServiceFolder[],
    /** Every rpc served, in folder and declaration order. */
    readonly rpcs: readonly RpcInfo[],
    private readonly options: ServiceHostOptions,
  ) {
    this.clock = options.clock ?? backgroundClock;
  }

  /**
   * Loads every service folder of `root` and starts the workers; rejects with a
   * {@link ServiceLoadError} (`file:line: ...`) when a proto or module does not load.
   */
  static async start(root: string, options: ServiceHostOptions): Promise<ServiceHost> {
    const folders = listServiceFolders(root);
    const rpcs: RpcInfo[] = [];
    const seen = new Map<string, RpcInfo>();
    for (const folder of folders) {
      for (const rpc of rpcsOf(folder, loadServiceProto(folder))) {
        const before = seen.get(rpc.path);
        if (before !== undefined) {
          throw new ServiceLoadError(`${rpc.where}: ${rpc.path} is already defined at ${before.where}`);
        }
        seen.set(rpc.path, rpc);
        rpcs.push(rpc);
      }
    }
    const host = new ServiceHost(root, folders, rpcs, options);
    try {
      await Promise.all(Array.from({ length: Math.max(1, options.threads) }, () => host.spawn().ready));
    } catch (err) {
      await host.close();
      throw err;
    }
    return host;
  }

  /** Opens a call of `rpc` on the least busy worker. */
  open(
    rpc: RpcInfo,
    deadlineMs: number,
    metadata: Record<string, string[]>,
    peer: string,
    sink: ServiceCallSink,
  ): HostCall {
    let worker = this.workers[0];
    for (const w of this.workers) if (worker === undefined || w.load < worker.load) worker = w;
    const key = this.nextKey++;
    if (worker === undefined) {
      const call = new HostCall(key, rpc, sink, undefined as unknown as ServiceWorker);
      call.closed = true;
      sink.finish({ code: 14, details: 'no gRPC service worker is running' }, undefined);
      return call;
    }
    const call = new HostCall(key, rpc, sink, worker);
    worker.calls.set(key, call);
    const p = worker.outbox.open();
    p.value(ServiceOp.Start);
    p.value(key);
    p.value(rpc.path);
    p.value(Number.isFinite(deadlineMs) ? deadlineMs : -1);
    p.value(metadata);
    p.value(peer);
    worker.outbox.endOp();
    return call;
  }

  /** @internal A handler's `ctx.log` line. */
  log(level: string, message: string, path: string): void {
    const logger = this.options.logger;
    const fn = level === 'debug' || level === 'info' || level === 'warn' || level === 'error' ? level : 'info';
    logger[fn]({ rpc: path }, message);
  }

  /** @internal */
  workerExited(worker: ServiceWorker): void {
    const i = this.workers.indexOf(worker);
    if (i >= 0) this.workers.splice(i, 1);
    if (this.closing) return;
    this.options.logger.error('a gRPC service worker stopped; starting another');
    const replacement = this.spawn();
    replacement.ready.catch((err: unknown) =>
      this.options.logger.error({ err }, 'the replacement gRPC service worker did not start'),
    );
  }

  /** Stops every worker (their calls fail with UNAVAILABLE). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  private spawn(): ServiceWorker {
    const init: ServiceWorkerInit = {
      folders: this.folders.map((f) => ({
        name: f.name,
        dir: f.dir,
        protoFile: f.protoFile,
        moduleFile: f.moduleFile,
      })),
    };
    const w = new ServiceWorker(
      startWorker({ workerData: init }, SERVICE_WORKER_URL),
      this,
      this.options.logger,
      this.clock,
      this.options.caller,
      this.options.traces,
    );
    this.workers.push(w);
    return w;
  }
}

export { HostCall, type ServiceCallSink } from './service-worker-link.js';
