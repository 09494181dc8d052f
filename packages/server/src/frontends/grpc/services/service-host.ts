/**
 * The main-thread side of custom gRPC services: starts the service workers (service-worker-main.ts),
 * hands each call to the least busy one as packet operations (service-ops.ts), runs the calls
 * their handlers make to served models through the core (the js backend's `ModelCalls`, exactly
 * as for a JS model's BLS calls) and passes responses and statuses back to the call's sink.
 * A worker that dies fails its calls with UNAVAILABLE and is replaced.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ModelCaller } from '../../../backend-api/backend.js';
import { startWorker } from '../../../backends/js/worker-entry.js';
import { PacketOutbox } from '../../../backends/js/message-batcher.js';
import { ModelCalls } from '../../../backends/js/model-calls.js';
import { Op, readCall } from '../../../backends/js/wire-codec.js';
import { PACK_THRESHOLD_BYTES, WireReader, type Packet } from '../../../backends/js/wire-packet.js';
import { backgroundClock, type Clock } from '../../../core/clock.js';
import { InferenceError, type ErrorCode } from '../../../core/errors.js';
import type { TraceManager } from '../../../core/trace/trace-manager.js';
import { toGrpcError, type GrpcError } from '../grpc-status.js';
import { ServiceOp, type ServiceWorkerInit, type ServiceWorkerStatus } from './service-ops.js';
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

/** Where a call's results go: the frontend's adapter of one transport call. */
export interface ServiceCallSink {
  /** A streamed response; call `sent` once the transport has taken it. */
  reply(bytes: Buffer, sent: () => void): void;
  /** The call is over: OK with the unary response (or none for streams), or an error status. */
  finish(error: GrpcError | undefined, response: Buffer | undefined): void;
  /** The handler took `count` more request messages (the adapter may read more from the client). */
  taken(count: number): void;
}

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

/** One call open in a worker. */
export class HostCall {
  closed = false;

  constructor(
    readonly key: number,
    readonly rpc: RpcInfo,
    readonly sink: ServiceCallSink,
    private readonly worker: ServiceWorker,
  ) {}

  /**
   * A request message from the client. A large one that owns its whole buffer (both transports
   * give every message past 64 KiB a buffer of its own, as ModelInfer's `inputBuffersOwned`
   * relies on) moves to the worker; others are copied into the worker's packet.
   */
  message(bytes: Uint8Array): void {
    if (this.closed) return;
    const p = this.worker.outbox.open();
    p.value(ServiceOp.Message);
    p.value(this.key);
    const buffer = bytes.buffer;
    const whole =
      bytes.byteLength >= PACK_THRESHOLD_BYTES &&
      buffer instanceof ArrayBuffer &&
      bytes.byteOffset === 0 &&
      bytes.byteLength === buffer.byteLength;
    p.bytes(bytes, whole ? buffer : undefined);
    this.worker.outbox.endOp();
  }

  /** The client sent its last message. */
  halfClose(): void {
    if (this.closed) return;
    this.worker.op2(ServiceOp.HalfClose, this.key);
  }

  /** The client cancelled or the deadline passed: the handler's signal aborts. Nothing more is delivered. */
  cancel(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.calls.delete(this.key);
    const p = this.worker.outbox.open();
    p.value(ServiceOp.Cancel);
    p.value(this.key);
    p.value(reason);
    this.worker.outbox.endOp();
  }
}

/** One worker thread and its calls. */
class ServiceWorker {
  readonly calls = new Map<number, HostCall>();
  readonly outbox: PacketOutbox;
  readonly modelCalls: ModelCalls;
  readonly ready: Promise<void>;
  private exited = false;

  constructor(
    readonly worker: Worker,
    private readonly host: ServiceHost,
    logger: Logger,
    clock: Clock,
    caller: ModelCaller | undefined,
    traces: TraceManager | undefined,
  ) {
    this.outbox = new PacketOutbox((packet) => worker.postMessage(packet, packet.transfer));
    this.modelCalls = new ModelCalls({
      caller,
      // No timeout of their own: the gRPC call's deadline and cancellation end them.
      defaultTimeoutMs: 0,
      clock,
      log: logger,
      parentSignal: () => undefined,
      // A handler's call is a request of its own for tracing (there is no parent request).
      ...(traces !== undefined ? { rootTrace: (model: string) => traces.startTrace(model, undefined) } : {}),
    });
    this.ready = new Promise((resolve, reject) => {
      const onStatus = (msg: ServiceWorkerStatus | Packet): void => {
        if (msg.type === 'packet') return;
        worker.off('message', onStatus);
        worker.off('error', reject);
        if (msg.type === 'ready') resolve();
        else reject(new ServiceLoadError(msg.message));
      };
      worker.on('message', onStatus);
      worker.once('error', reject);
    });
    worker.on('message', (msg: ServiceWorkerStatus | Packet) => {
      if (msg.type === 'packet') this.onPacket(msg);
    });
    worker.on('error', (err) => logger.error({ err }, 'gRPC service worker failed'));
    worker.once('exit', (code) => {
      this.exited = true;
      this.failAll(`the service worker stopped (exit code ${code})`);
      host.workerExited(this);
    });
  }

  get load(): number {
    return this.calls.size;
  }

  op2(op: number, key: number): void {
    const p = this.outbox.open();
    p.value(op);
    p.value(key);
    this.outbox.endOp();
  }

  failAll(reason: string): void {
    this.modelCalls.cancelAll(new InferenceError('UNAVAILABLE', reason));
    for (const call of [...this.calls.values()]) {
      call.closed = true;
      call.sink.finish({ code: 14, details: reason }, undefined);
    }
    this.calls.clear();
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    await this.worker.terminate();
  }

  private onPacket(packet: Packet): void {
    const r = new WireReader(packet);
    while (!r.done) {
      const op = r.number();
      switch (op) {
        case ServiceOp.Reply: {
          const call = this.calls.get(r.number());
          const bytes = r.bytes();
          if (call === undefined) break;
          call.sink.reply(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), () => {
            if (!call.closed) {
              const p = this.outbox.open();
              p.value(ServiceOp.Sent);
              p.value(call.key);
              p.value(1);
              this.outbox.endOp();
            }
          });
          break;
        }
        case ServiceOp.Finish:
          this.onFinish(r);
          break;
        case ServiceOp.Taken: {
          const call = this.calls.get(r.number());
          const count = r.number();
          call?.sink.taken(count);
          break;
        }
        case ServiceOp.Log: {
          const level = r.string();
          const message = r.string();
          const path = r.string();
          this.host.log(level, message, path);
          break;
        }
        case Op.Call:
          this.modelCalls.start(readCall(r), this.outbox);
          break;
        case Op.CallCancel:
          this.modelCalls.cancel(r.number());
          break;
        default:
          throw new Error(`gRPC service host: unknown packet operation ${op}`);
      }
    }
  }

  private onFinish(r: WireReader): void {
    const key = r.number();
    const code = r.number();
    const serverCode = r.string();
    const details = r.string();
    const bytes = r.boolean() ? r.bytes() : undefined;
    const call = this.calls.get(key);
    if (call === undefined) return;
    this.calls.delete(key);
    call.closed = true;
    let error: GrpcError | undefined;
    if (code === -1) error = toGrpcError(new InferenceError(serverCode as ErrorCode, details));
    else if (code !== 0) error = { code, details };
    call.sink.finish(
      error,
      bytes === undefined ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    );
  }
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
export class ServiceHost {
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
