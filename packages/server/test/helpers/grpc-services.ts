/**
 * Custom gRPC service folders for the `--grpc-services` tests: a `testsvc.Kinds` service with one
 * rpc of each kind plus failure, metadata and cancellation probes, written into a temporary
 * folder; and a @grpc/proto-loader client (a dynamic client built by someone else's tool from the
 * same .proto a user would have).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The example services folder (`modelserving.Predictor`). */
export const EXAMPLE_SERVICES = fileURLToPath(new URL('../../../../examples/grpc_services', import.meta.url));
/** The example Predictor proto. */
export const PREDICTOR_PROTO = join(EXAMPLE_SERVICES, 'predictor', 'service.proto');

export const KINDS_PROTO = `syntax = "proto3";
package testsvc;

service Kinds {
  rpc Echo(Num) returns (Num);
  rpc Count(Num) returns (stream Num);
  rpc Sum(stream Num) returns (Num);
  rpc Double(stream Num) returns (stream Num);
  rpc Fail(Num) returns (Num);
  rpc Meta(Num) returns (Text);
  rpc Wait(Text) returns (Num);
}

message Num { int32 value = 1; repeated float values = 2; }
message Text { string text = 1; }
`;

export const KINDS_MODULE = `import { writeFileSync } from 'node:fs';

// value + 16 through the example model simple (INPUT0 + INPUT1), called in process.
export async function Echo(request, { models }) {
  const a = new Int32Array(16).fill(request.value);
  const b = new Int32Array(16).fill(16);
  const r = await models.infer({ model: 'simple', inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: b },
  ] });
  if (r.error) throw r.error;
  return { value: r.output('OUTPUT0').data[0], values: request.values };
}

export async function* Count(request) {
  for (let i = 0; i < request.value; i++) yield { value: i };
}

export async function Sum(requests) {
  let value = 0;
  for await (const r of requests) value += r.value;
  return { value };
}

export async function* Double(requests) {
  for await (const r of requests) yield { value: r.value * 2 };
}

export async function Fail(request) {
  if (request.value === 1) throw new Error('plain failure');
  if (request.value === 2) throw Object.assign(new Error('not for you'), { code: 'PERMISSION_DENIED' });
  if (request.value === 3) throw { code: 9, details: 'numeric status' };
  if (request.value === 4) return { value: 'not a number' };
  if (request.value === 5) return undefined;
  return { value: 0 };
}

export function Meta(request, ctx) {
  return { text: JSON.stringify({ metadata: ctx.metadata, deadline: ctx.deadline ? ctx.deadline.getTime() : null, method: ctx.method }) };
}

export function Wait(request, { signal }) {
  writeFileSync(request.text + '.started', '');
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => {
      writeFileSync(request.text, String(signal.reason?.message ?? signal.reason));
      reject(signal.reason);
    });
  });
}
`;

/** A temporary services folder with `folders` (name → [proto, module]). */
export async function servicesFolder(
  folders: Record<string, readonly [string, string]>,
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tensorgate-services-'));
  for (const [name, [proto, module]] of Object.entries(folders)) {
    await mkdir(join(path, name));
    await writeFile(join(path, name, 'service.proto'), proto);
    await writeFile(join(path, name, 'service.js'), module);
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A proto-loader client constructor for `service` (e.g. `testsvc.Kinds`) of `protoFile`. */
export function protoLoaderClient(
  protoFile: string,
  service: string,
  port: number,
  options: grpc.ChannelOptions = {},
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): grpc.Client & Record<string, any> {
  const definition = grpc.loadPackageDefinition(loadSync(protoFile, { keepCase: true, defaults: true }));
  let ctor: any = definition;
  for (const part of service.split('.')) ctor = ctor[part];
  return new ctor(`127.0.0.1:${port}`, credentials, options);
}

/** Runs a unary call; resolves with the reply or the ServiceError. */
export function unaryCall(
  client: Record<string, any>,
  method: string,
  request: object,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
): Promise<any> {
  return new Promise((resolve) =>
    client[method](request, metadata, options, (err: unknown, res: unknown) => resolve(err ?? res)),
  );
}

/** Collects a server stream's messages and its end (OK) or error. */
export function collect(
  call: grpc.ClientReadableStream<any> | grpc.ClientDuplexStream<any, any>,
): Promise<{ messages: any[]; error?: grpc.ServiceError }> {
  const messages: any[] = [];
  return new Promise((resolve) => {
    call.on('data', (m) => messages.push(m));
    call.on('error', (error: grpc.ServiceError) => resolve({ messages, error }));
    call.on('end', () => resolve({ messages }));
  });
}

export { grpc };
