/**
 * A plain grpc-js client for GRPCInferenceService built from our protos, for wire-level tests.
 * Responses are decoded with defaults and enums as strings.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';

/** Untyped message objects (snake_case). */
export type Msg = Record<string, unknown> & { [k: string]: any };

/** Options of {@link grpcClient}. */
export interface GrpcClientOptions {
  /** Metadata added to every call of the client (e.g. a restricted protocol's header). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** An interceptor that adds `extra` to every call's metadata. */
function metadataInterceptor(extra: Readonly<Record<string, string>>): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        for (const [key, value] of Object.entries(extra)) metadata.add(key, value);
        next(metadata, listener);
      },
    });
}

/** Builds a client constructor for a service of our protos. */
export function grpcClient(
  port: number,
  service = 'inference.GRPCInferenceService',
  options: GrpcClientOptions = {},
): grpc.Client & Record<string, any> {
  const root = loadProtoRoot();
  const svc = root.lookupService(service);
  const def: Record<string, grpc.MethodDefinition<any, any>> = {};
  for (const m of svc.methodsArray) {
    m.resolve();
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${service}/${m.name}`,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: (o: Msg) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (o: Msg) => Buffer.from(res.encode(o).finish()),
      responseDeserialize: (b: Buffer) =>
        res.toObject(res.decode(b), {
          enums: String,
          longs: Number,
          defaults: true,
          arrays: true,
          objects: true,
          oneofs: true,
        }),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(def, service.split('.').pop()!);
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    ...(options.metadata !== undefined ? { interceptors: [metadataInterceptor(options.metadata)] } : {}),
  }) as grpc.Client & Record<string, any>;
}

/** Calls a unary RPC and returns a promise. */
export function unary(
  client: Record<string, any>,
  method: string,
  request: Msg,
  options: grpc.CallOptions = {},
): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client[method](request, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res: Msg) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** Expects a unary call to fail with `code`; returns the error for further checks. */
export async function unaryError(
  client: Record<string, any>,
  method: string,
  request: Msg,
  options: grpc.CallOptions = {},
): Promise<grpc.ServiceError> {
  try {
    await unary(client, method, request, options);
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error(`${method} unexpectedly succeeded`);
}

/** Writes `requests` on one ModelStreamInfer call, half-closes, and collects every message until it ends. */
export function streamAll(client: Record<string, any>, requests: Msg[]): Promise<Msg[]> {
  const call = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
  const got: Msg[] = [];
  const done = new Promise<Msg[]>((resolve, reject) => {
    call.on('data', (m: Msg) => got.push(m));
    call.on('end', () => resolve(got));
    call.on('error', reject);
  });
  for (const r of requests) call.write(r);
  call.end();
  return done;
}

/** Runs a server-streaming RPC to its end; resolves with every message, rejects with the call's error. */
export function serverStreamAll(
  client: Record<string, any>,
  method: string,
  request: Msg,
  options: grpc.CallOptions = {},
): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const call = client[method](request, new grpc.Metadata(), options) as grpc.ClientReadableStream<Msg>;
    const got: Msg[] = [];
    call.on('data', (m: Msg) => got.push(m));
    call.on('end', () => resolve(got));
    call.on('error', reject);
  });
}

export { grpc };
