/**
 * The custom services as grpc-js service definitions and handlers, so both transports serve
 * them through `addService` like the built-in services. Messages cross the transport as raw
 * bytes (identity (de)serializers): the service workers decode and encode them with the proto's
 * types, off the event loop. Each handler opens a call on the {@link ServiceHost}, forwards
 * request messages (pausing the client past MESSAGE_WINDOW messages the handler has not taken),
 * forwards the client's cancellation and the deadline, writes responses, and ends the call with
 * the handler's status. Per-method numbers go to {@link MethodStats}.
 */
import type { Duplex } from 'node:stream';
import type { MethodDefinition, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Clock } from '../../../core/clock.js';
import { boundGrpcDetails, type GrpcError } from '../grpc-status.js';
import type { HostCall, ServiceCallSink, ServiceHost } from './service-host.js';
import { MESSAGE_WINDOW } from './service-ops.js';
import type { RpcInfo } from './service-protos.js';
import { MethodStats } from './service-stats.js';

/** What the adapters use of a grpc-js (or native) server call. */
interface AnyCall {
  readonly metadata: { toJSON?(): Record<string, unknown[]>; get(key: string): unknown[] };
  getDeadline(): Date | number;
  getPeer(): string;
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
}

type UnaryCallback = (err: GrpcError | null, value?: Buffer) => void;

const identity = (b: Buffer): Buffer => b;

/** Metadata keys a handler does not see: HTTP/2 pseudo-headers and those gRPC itself uses. */
function reserved(key: string): boolean {
  return (
    key.startsWith(':') ||
    key.startsWith('grpc-') ||
    key === 'content-type' ||
    key === 'te' ||
    key === 'content-length' ||
    key === 'accept-encoding'
  );
}

/**
 * The call's metadata as `{ key: [values] }`: text values as strings, binary (`-bin`) ones as
 * base64 text on both transports.
 */
export function metadataRecord(call: AnyCall): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const all = call.metadata.toJSON?.() ?? {};
  for (const [key, values] of Object.entries(all)) {
    if (reserved(key)) continue;
    out[key] = values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v)));
  }
  return out;
}

function deadlineOf(call: AnyCall): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : -1;
}

/** Opens the host call and wires cancellation, the deadline and the metrics. */
function openCall(
  host: ServiceHost,
  rpc: RpcInfo,
  stats: MethodStats,
  clock: Clock,
  call: AnyCall,
  sink: Omit<ServiceCallSink, 'finish'> & { finish(error: GrpcError | undefined, response: Buffer | undefined): void },
): HostCall {
  stats.started();
  const startNs = clock.nowNs();
  let timer: (() => void) | undefined;
  let done = false;
  const end = (code: number): void => {
    if (done) return;
    done = true;
    timer?.();
    stats.finished(code, (clock.nowNs() - startNs) / 1e9);
  };
  const deadline = deadlineOf(call);
  const hostCall = host.open(rpc, deadline, metadataRecord(call), call.getPeer(), {
    reply: (bytes, sent) => sink.reply(bytes, sent),
    taken: (n) => sink.taken(n),
    finish: (error, response) => {
      end(error?.code ?? 0);
      sink.finish(
        error === undefined ? undefined : { code: error.code, details: boundGrpcDetails(error.details) },
        response,
      );
    },
  });
  call.once('cancelled', () => {
    // Transports also cancel a call whose deadline passed: tell the handler which it was.
    if (deadline >= 0 && clock.wallMs() >= deadline) {
      end(4);
      hostCall.cancel('deadline exceeded');
    } else {
      end(1);
      hostCall.cancel('cancelled by the client');
    }
  });
  if (deadline >= 0 && !hostCall.closed) {
    timer = clock.setTimer(
      () => {
        timer = undefined;
        if (hostCall.closed) return;
        end(4);
        hostCall.cancel('deadline exceeded');
        sink.finish({ code: 4, details: 'Deadline exceeded' }, undefined);
      },
      Math.max(0, deadline - clock.wallMs()),
    );
  }
  return hostCall;
}

/** Forwards a client stream's messages, pausing it while MESSAGE_WINDOW are untaken. */
function pipeRequests(call: Duplex, hostCall: HostCall): (count: number) => void {
  let untaken = 0;
  let paused = false;
  call.on('data', (bytes: Buffer) => {
    hostCall.message(bytes);
    if (++untaken >= MESSAGE_WINDOW && !paused) {
      paused = true;
      call.pause();
    }
  });
  call.on('end', () => hostCall.halfClose());
  return (count) => {
    untaken -= count;
    if (paused && untaken < MESSAGE_WINDOW) {
      paused = false;
      call.resume();
    }
  };
}

function handlerOf(host: ServiceHost, rpc: RpcInfo, stats: MethodStats, clock: Clock): unknown {
  const writeTo = (call: Duplex) => (bytes: Buffer, sent: () => void) => {
    call.write(bytes, () => sent());
  };
  const endStream = (call: Duplex) => (error: GrpcError | undefined) => {
    if (error !== undefined) call.emit('error', error);
    else call.end();
  };
  switch (rpc.kind) {
    case 'unary':
      return (call: AnyCall & { request: Buffer }, callback: UnaryCallback) => {
        const hostCall = openCall(host, rpc, stats, clock, call, {
          reply: () => undefined,
          taken: () => undefined,
          finish: (error, response) => (error ? callback(error) : callback(null, response ?? Buffer.alloc(0))),
        });
        hostCall.message(call.request);
      };
    case 'serverStream':
      return (call: AnyCall & Duplex & { request: Buffer }) => {
        const hostCall = openCall(host, rpc, stats, clock, call, {
          reply: writeTo(call),
          taken: () => undefined,
          finish: endStream(call),
        });
        hostCall.message(call.request);
      };
    case 'clientStream':
      return (call: AnyCall & Duplex, callback: UnaryCallback) => {
        let taken: (count: number) => void = () => undefined;
        const hostCall = openCall(host, rpc, stats, clock, call, {
          reply: () => undefined,
          taken: (n) => taken(n),
          finish: (error, response) => (error ? callback(error) : callback(null, response ?? Buffer.alloc(0))),
        });
        taken = pipeRequests(call, hostCall);
      };
    case 'bidi':
      return (call: AnyCall & Duplex) => {
        let taken: (count: number) => void = () => undefined;
        const hostCall = openCall(host, rpc, stats, clock, call, {
          reply: writeTo(call),
          taken: (n) => taken(n),
          finish: endStream(call),
        });
        taken = pipeRequests(call, hostCall);
      };
  }
}

/** One custom service ready for `addService`. */
export interface CustomService {
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

/**
 * The definitions and handlers of every service of `host`, and the numbers of each rpc.
 *
 * @example
 * ```ts
 * const { services } = customServices(host, clock);
 * for (const s of services) transport.addService(s.definition, s.implementation);
 * ```
 */
export function customServices(
  host: ServiceHost,
  clock: Clock,
): { services: CustomService[]; stats: Map<string, MethodStats> } {
  const byService = new Map<string, CustomService>();
  const stats = new Map<string, MethodStats>();
  for (const rpc of host.rpcs) {
    let service = byService.get(rpc.service);
    if (service === undefined) {
      service = { name: rpc.service, definition: {}, implementation: {} };
      byService.set(rpc.service, service);
    }
    const methodStats = new MethodStats(rpc.service, rpc.method);
    stats.set(rpc.path, methodStats);
    const definition: MethodDefinition<Buffer, Buffer> = {
      path: rpc.path,
      requestStream: rpc.kind === 'clientStream' || rpc.kind === 'bidi',
      responseStream: rpc.kind === 'serverStream' || rpc.kind === 'bidi',
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: rpc.method.charAt(0).toLowerCase() + rpc.method.slice(1),
    };
    (service.definition as Record<string, MethodDefinition<Buffer, Buffer>>)[rpc.method] = definition;
    (service.implementation as Record<string, unknown>)[rpc.method] = handlerOf(host, rpc, methodStats, clock);
  }
  return { services: [...byService.values()], stats };
}
