/**
 * A grpc-js test client for our services, built from the same service definitions as the
 * server; responses are turned into plain objects with defaults and enum names for assertions.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';
import { serviceDefinitionOf } from './service-definition.js';

/** An untyped message object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

/** A client whose RPCs are reachable by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestClient = grpc.Client & Record<string, any>;

/** Connects a client for `service` to 127.0.0.1:port. */
export function connect(port: number, service: string): TestClient {
  const root = loadProtoRoot();
  const definition: Record<string, grpc.MethodDefinition<object, object>> = { ...serviceDefinitionOf(service) };
  const svc = root.lookupService(service);
  for (const [name, method] of Object.entries(definition)) {
    const requestType = svc.methods[name]!.resolvedRequestType!;
    const responseType = svc.methods[name]!.resolvedResponseType!;
    definition[name] = {
      ...method,
      requestSerialize: (o: Msg) => method.requestSerialize(requestType.fromObject(o)),
      responseDeserialize: (b: Buffer) =>
        responseType.toObject(responseType.decode(b), {
          enums: String,
          longs: Number,
          defaults: true,
          arrays: true,
          objects: true,
          oneofs: true,
        }),
    };
  }
  const Ctor = grpc.makeGenericClientConstructor(definition, service);
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  }) as TestClient;
}

/** Calls a unary RPC. */
export function unary(client: TestClient, method: string, request: Msg, options: grpc.CallOptions = {}): Promise<Msg> {
  return new Promise((resolve, reject) => {
    client[method](request, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res: Msg) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** Calls a unary RPC that must fail; returns its error. */
export async function unaryError(
  client: TestClient,
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

/** Writes requests on a ModelStreamInfer stream, half-closes, and collects everything until the status. */
export function streamAll(
  client: TestClient,
  requests: Msg[],
): Promise<{ messages: Msg[]; status: grpc.StatusObject }> {
  const call = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
  const messages: Msg[] = [];
  const done = new Promise<{ messages: Msg[]; status: grpc.StatusObject }>((resolve, reject) => {
    let status: grpc.StatusObject | undefined;
    let ended = false;
    const finish = (): void => {
      if (status && ended) resolve({ messages, status });
    };
    call.on('data', (m: Msg) => messages.push(m));
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      finish();
    });
    call.on('end', () => {
      ended = true;
      finish();
    });
    call.on('error', reject);
  });
  for (const r of requests) call.write(r);
  call.end();
  return done;
}

export { grpc };
