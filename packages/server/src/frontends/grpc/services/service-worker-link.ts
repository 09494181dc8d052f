/**
 * One service worker thread as the main thread sees it ({@link ServiceWorker}: its packets, its
 * calls, the model calls its handlers make) and one call open in it ({@link HostCall}). Started
 * and replaced by service-host.ts.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ModelCaller } from '../../../backend-api/backend.js';
import { PacketOutbox } from '../../../backends/js/message-batcher.js';
import { ModelCalls } from '../../../backends/js/model-calls.js';
import { Op, readCall } from '../../../backends/js/wire-codec.js';
import { PACK_THRESHOLD_BYTES, WireReader, type Packet } from '../../../backends/js/wire-packet.js';
import type { Clock } from '../../../core/clock.js';
import { InferenceError, type ErrorCode } from '../../../core/errors.js';
import type { TraceManager } from '../../../core/trace/trace-manager.js';
import { toGrpcError, type GrpcError } from '../grpc-status.js';
import { ServiceOp, type ServiceWorkerStatus } from './service-ops.js';
import { ServiceLoadError, type RpcInfo } from './service-protos.js';

/** Where a call's results go: the frontend's adapter of one transport call. */
export interface ServiceCallSink {
  /** A streamed response; call `sent` once the transport has taken it. */
  reply(bytes: Buffer, sent: () => void): void;
  /** The call is over: OK with the unary response (or none for streams), or an error status. */
  finish(error: GrpcError | undefined, response: Buffer | undefined): void;
  /** The handler took `count` more request messages (the adapter may read more from the client). */
  taken(count: number): void;
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

/** What a worker needs of its host. */
export interface WorkerOwner {
  /** A handler's `ctx.log` line. */
  log(level: string, message: string, path: string): void;
  /** The worker exited (its calls have failed). */
  workerExited(worker: ServiceWorker): void;
}

/** One worker thread and its calls. */
export class ServiceWorker {
  readonly calls = new Map<number, HostCall>();
  readonly outbox: PacketOutbox;
  readonly modelCalls: ModelCalls;
  readonly ready: Promise<void>;
  private exited = false;

  constructor(
    readonly worker: Worker,
    private readonly host: WorkerOwner,
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
