/**
 * A service worker: runs the handlers of every custom gRPC service (`--grpc-services`) off the
 * event loop, as model workers run model code. Each call arrives as packet operations
 * (service-ops.ts); the worker decodes request messages with the proto's types, runs the handler
 * with a context (metadata, deadline, cancellation signal, `models` for calls to served models
 * through the server's core: the js backend's BLS client, worker-calls.ts), and encodes the
 * responses. Started by service-host.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type protobuf from 'protobufjs';
import { PacketOutbox } from '../../../backends/js/message-batcher.js';
import { Op, readCallResponse } from '../../../backends/js/wire-codec.js';
import { WireReader, type Packet } from '../../../backends/js/wire-packet.js';
import { ModelCallClient } from '../../../backends/js/worker-calls.js';
import { INTERNAL, statusOfThrown, type HandlerStatus } from './handler-status.js';
import { encodeResponse, HandlerFailure } from './response-encoding.js';
import { loadServiceModule, type ServiceHandler } from './service-module.js';
import { MESSAGE_WINDOW, ServiceOp, type ServiceWorkerInit, type ServiceWorkerStatus } from './service-ops.js';
import { loadServiceProto, rpcsOf, type RpcInfo } from './service-protos.js';
import { RequestQueue } from './request-queue.js';
import { decodePacked, packedFloatFields } from './packed-floats.js';

const port = parentPort!;
const init = workerData as ServiceWorkerInit;

/** One servable rpc in this worker. */
interface WorkerRpc {
  readonly info: RpcInfo;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly handler: ServiceHandler;
  /** Packed float / double fields of the request, read as typed arrays (packed-floats.ts). */
  readonly packed: ReturnType<typeof packedFloatFields>;
}

const rpcs = new Map<string, WorkerRpc>();
const outbox = new PacketOutbox((packet) => port.postMessage(packet, packet.transfer));
const models = new ModelCallClient({ open: () => outbox.open(), endOp: () => outbox.endOp() });

/** One call in this worker. */
class WorkerCall {
  readonly abort = new AbortController();
  readonly requests: RequestQueue | undefined;
  /** Streamed responses the main thread has not yet handed to the transport. */
  private unsent = 0;
  private wakeSender: (() => void) | undefined;
  finished = false;
  /** The handler's context (see {@link context}). */
  ctx: Record<string, unknown> = {};

  constructor(
    readonly key: number,
    readonly rpc: WorkerRpc,
  ) {
    const kind = rpc.info.kind;
    if (kind === 'clientStream' || kind === 'bidi') {
      this.requests = new RequestQueue(() => {
        const p = outbox.open();
        p.value(ServiceOp.Taken);
        p.value(key);
        p.value(1);
        outbox.endOp();
      });
    }
  }

  decode(bytes: Uint8Array): unknown {
    try {
      return decodePacked(this.rpc.requestType, this.rpc.packed, bytes);
    } catch (err) {
      throw new HandlerFailure({
        code: 3,
        serverCode: '',
        details: `could not decode ${this.rpc.requestType.fullName.slice(1)}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }

  sent(count: number): void {
    this.unsent -= count;
    const wake = this.wakeSender;
    this.wakeSender = undefined;
    wake?.();
  }

  /** Sends one streamed response, waiting while the window is full. */
  async reply(value: unknown): Promise<void> {
    const bytes = encodeResponse(this.rpc.responseType, this.rpc.info.method, value);
    while (this.unsent >= MESSAGE_WINDOW && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => (this.wakeSender = resolve));
    }
    if (this.abort.signal.aborted) return;
    this.unsent++;
    const p = outbox.open();
    p.value(ServiceOp.Reply);
    p.value(this.key);
    p.bytes(bytes);
    outbox.endOp();
  }

  cancel(reason: string): void {
    const err = Object.assign(new Error(reason), { code: reason.startsWith('deadline') ? 4 : 1 });
    this.abort.abort(err);
    this.requests?.fail(err);
    this.sent(0);
  }

  finish(status: HandlerStatus | undefined, response: Uint8Array | undefined): void {
    if (this.finished) return;
    this.finished = true;
    calls.delete(this.key);
    const p = outbox.open();
    p.value(ServiceOp.Finish);
    p.value(this.key);
    p.value(status?.code ?? 0);
    p.value(status?.serverCode ?? '');
    p.value(status?.details ?? '');
    p.value(response !== undefined);
    if (response !== undefined) p.bytes(response);
    outbox.endOp();
  }
}

const calls = new Map<number, WorkerCall>();

function isIterable(v: unknown): v is AsyncIterable<unknown> | Iterable<unknown> {
  return (
    typeof v === 'object' && v !== null && (Symbol.asyncIterator in v || Symbol.iterator in v) && !ArrayBuffer.isView(v)
  );
}

/** Runs the handler of `call` to its end; `first` is the request of unary / server-streaming rpcs. */
async function run(call: WorkerCall, first: unknown): Promise<void> {
  const rpc = call.rpc;
  const input = call.requests ?? first;
  try {
    const result = rpc.handler(input, call.ctx);
    if (rpc.info.kind === 'unary' || rpc.info.kind === 'clientStream') {
      const response = encodeResponse(rpc.responseType, rpc.info.method, await result);
      call.finish(undefined, response);
      return;
    }
    const stream = await result;
    if (!isIterable(stream)) {
      throw new HandlerFailure({
        code: INTERNAL,
        serverCode: '',
        details: `handler ${rpc.info.method} of a streaming rpc must return an async iterable (write it as an async generator function), not ${stream === null ? 'null' : typeof stream}`,
      });
    }
    for await (const message of stream) {
      if (call.abort.signal.aborted) break;
      await call.reply(message);
    }
    call.finish(undefined, undefined);
  } catch (err) {
    if (err instanceof HandlerFailure) call.finish(err.status, undefined);
    else {
      const status = statusOfThrown(err);
      if (status.code === 2)
        log(
          'error',
          `handler ${rpc.info.method} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          rpc.info.path,
        );
      call.finish(status, undefined);
    }
  }
}

function log(level: string, message: string, path: string): void {
  const p = outbox.open();
  p.value(ServiceOp.Log);
  p.value(level);
  p.value(message);
  p.value(path);
  outbox.endOp();
}

/** The second argument of every handler (docs/grpc-services.md#the-context). */
function context(
  rpc: WorkerRpc,
  deadline: number,
  metadata: Record<string, unknown>,
  peer: string,
  signal: AbortSignal,
): Record<string, unknown> {
  const path = rpc.info.path;
  const say = (level: string) => (msg: unknown) => log(level, String(msg), path);
  return {
    method: path,
    metadata,
    deadline: deadline < 0 ? undefined : new Date(deadline),
    signal,
    get cancelled(): boolean {
      return signal.aborted;
    },
    peer,
    models: boundModels(signal),
    log: { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') },
  };
}

function start(r: WireReader): void {
  const key = r.number();
  const path = r.string();
  const deadline = r.number();
  const metadata = (r.value() ?? {}) as Record<string, unknown>;
  const peer = r.string();
  const rpc = rpcs.get(path);
  if (rpc === undefined) return; // the main thread only opens calls of served rpcs
  const call = new WorkerCall(key, rpc);
  call.ctx = context(rpc, deadline, metadata, peer, call.abort.signal);
  calls.set(key, call);
  if (call.requests !== undefined) void run(call, undefined);
}

/**
 * `models` whose calls are cancelled with the gRPC call: they default to the call's signal (a
 * handler may pass its own `signal` instead).
 */
function boundModels(signal: AbortSignal): unknown {
  const base = models.caller(0);
  return {
    infer: (options: Record<string, unknown>) => base.infer({ signal, ...options } as never),
    stream: (options: Record<string, unknown>) => base.stream({ signal, ...options } as never),
  };
}

function message(r: WireReader): void {
  const key = r.number();
  const bytes = r.bytes();
  const call = calls.get(key);
  if (call === undefined) return;
  let request: unknown;
  try {
    request = call.decode(bytes);
  } catch (err) {
    call.cancel('the request could not be decoded');
    call.finish((err as HandlerFailure).status, undefined);
    return;
  }
  if (call.requests !== undefined) call.requests.push(request);
  else void run(call, request);
}

function onPacket(packet: Packet): void {
  const r = new WireReader(packet);
  while (!r.done) {
    const op = r.number();
    switch (op) {
      case ServiceOp.Start:
        start(r);
        break;
      case ServiceOp.Message:
        message(r);
        break;
      case ServiceOp.HalfClose:
        calls.get(r.number())?.requests?.end();
        break;
      case ServiceOp.Cancel: {
        const key = r.number();
        const reason = r.string();
        calls.get(key)?.cancel(reason);
        break;
      }
      case ServiceOp.Sent: {
        const key = r.number();
        const count = r.number();
        calls.get(key)?.sent(count);
        break;
      }
      case Op.CallResponse:
        models.onAnswer(readCallResponse(r));
        break;
      default:
        throw new Error(`service worker: unknown packet operation ${op}`);
    }
  }
}

async function load(): Promise<void> {
  for (const folder of init.folders) {
    const root = loadServiceProto(folder);
    const infos = rpcsOf(folder, root);
    const handlers = await loadServiceModule(folder, infos);
    for (const info of infos) {
      rpcs.set(info.path, {
        info,
        requestType: root.lookupType(info.requestType),
        packed: packedFloatFields(root.lookupType(info.requestType)),
        responseType: root.lookupType(info.responseType),
        handler: handlers.get(info.path)!,
      });
    }
  }
}

load().then(
  () => {
    port.on('message', (msg: Packet) => onPacket(msg));
    port.postMessage({ type: 'ready' } satisfies ServiceWorkerStatus);
  },
  (err: unknown) => {
    port.postMessage({
      type: 'load-error',
      message: err instanceof Error ? err.message : String(err),
    } satisfies ServiceWorkerStatus);
  },
);
