/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) over the real wire, on both transports:
 * a reflection client (built by @grpc/proto-loader from the reflection protos that ship with
 * @grpc/reflection, as grpcurl does from its own) lists the services, fetches the file
 * descriptors of `modelserving.Predictor`, builds the message types from them alone and calls
 * Predict with those: what grpcurl and Postman do. Reflection is in the `metadata` group of
 * `--grpc-restricted-protocol`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';
import { EXAMPLE_SERVICES } from '../helpers/grpc-services.js';

const require = createRequire(import.meta.url);
const REFLECTION_PROTOS = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');

type Version = 'v1' | 'v1alpha';

/** One request/response exchange on a ServerReflectionInfo stream. */
function reflect(port: number, version: Version, request: object, metadata = new grpc.Metadata()): Promise<any> {
  const file = join(REFLECTION_PROTOS, 'grpc', 'reflection', version, 'reflection.proto');
  const pkg = grpc.loadPackageDefinition(loadSync(file, { keepCase: true, oneofs: true, defaults: false })) as any;
  const Ctor = pkg.grpc.reflection[version].ServerReflection;
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.ServerReflectionInfo(metadata);
    call.on('data', (res: unknown) => {
      resolve(res);
      call.end();
    });
    call.on('error', (err: unknown) => resolve(err));
    call.on('end', () => client.close());
    call.write(request);
  });
}

function decodeFiles(res: any): any[] {
  return res.file_descriptor_response.file_descriptor_proto.map((b: Buffer) =>
    descriptor.FileDescriptorProto.decode(b),
  );
}

for (const transport of ['native', 'grpc-js'] as const) {
  describe(`server reflection on the ${transport} transport`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer(
        [
          '--grpc-services',
          EXAMPLE_SERVICES,
          '--grpc-transport',
          transport,
          '--model-control-mode',
          'explicit',
          '--load-model',
          'image_classifier',
        ],
        EXAMPLES,
      );
    });
    after(() => s?.close());

    for (const version of ['v1', 'v1alpha'] as const) {
      test(`${version}: list_services names the custom, inference, LLM, health and reflection services`, async () => {
        const res = await reflect(s.grpcPort, version, { list_services: '*' });
        const names = res.list_services_response.service.map((x: { name: string }) => x.name);
        for (const name of [
          'modelserving.Predictor',
          'inference.GRPCInferenceService',
          'llm.LLMService',
          'grpc.health.v1.Health',
        ]) {
          assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
        }
      });
    }

    test('the Predictor descriptors alone are enough to call Predict (grpcurl-style)', async () => {
      const res = await reflect(s.grpcPort, 'v1', { file_containing_symbol: 'modelserving.Predictor' });
      const files = decodeFiles(res);
      const main = files.find((f) => f.package === 'modelserving');
      assert.ok(main, 'a file of package modelserving');
      const service = main.service.find((x: any) => x.name === 'Predictor');
      assert.deepEqual(
        service.method.map((m: any) => [m.name, m.clientStreaming === true, m.serverStreaming === true]),
        [
          ['Predict', false, false],
          ['PredictFast', false, false],
          ['StreamPredict', true, true],
        ],
      );
      // Build the types from the descriptors (protobufjs' descriptor extension) and call.
      const root = (protobuf.Root as any).fromDescriptor({ file: files });
      const Req = root.lookupType('modelserving.InferenceRequest');
      const Res = root.lookupType('modelserving.InferenceResponse');
      const client = new grpc.Client(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure());
      const image = new Array(3 * 224 * 224).fill(0.1);
      const reply: any = await new Promise((resolve, reject) =>
        client.makeUnaryRequest(
          '/modelserving.Predictor/Predict',
          (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish()),
          (b: Buffer) => Res.toObject(Res.decode(b)),
          { modelName: 'image_classifier', tensorData: image, width: 224, height: 224 },
          (err, r) => (err ? reject(err) : resolve(r)),
        ),
      );
      client.close();
      assert.equal(reply.predictions.length, 1000);
    });

    test('the built-in services are described too (ModelInfer by symbol)', async () => {
      const res = await reflect(s.grpcPort, 'v1alpha', { file_containing_symbol: 'inference.GRPCInferenceService' });
      const files = decodeFiles(res);
      const svc = files.flatMap((f) => f.service ?? []).find((x: any) => x.name === 'GRPCInferenceService');
      assert.ok(svc.method.some((m: any) => m.name === 'ModelInfer'));
      const missing = await reflect(s.grpcPort, 'v1', { file_containing_symbol: 'no.Such' });
      assert.equal(missing.error_response.error_code, grpc.status.NOT_FOUND);
    });
  });
}

describe('server reflection and --grpc-restricted-protocol', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      ['--grpc-restricted-protocol', 'metadata:x-meta=m1', '--model-control-mode', 'explicit'],
      EXAMPLES,
    );
  });
  after(() => s?.close());

  test('reflection is in the metadata group', async () => {
    const refused = await reflect(s.grpcPort, 'v1', { list_services: '*' });
    assert.equal(refused.code, grpc.status.UNAVAILABLE);
    const md = new grpc.Metadata();
    md.add('triton-grpc-protocol-x-meta', 'm1');
    const res = await reflect(s.grpcPort, 'v1', { list_services: '*' }, md);
    assert.ok(res.list_services_response.service.length >= 3);
  });
});
