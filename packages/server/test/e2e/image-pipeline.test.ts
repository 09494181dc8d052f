/**
 * examples/model_repository/ensemble_image (image_preprocess -> image_classifier) over the real wire:
 * the interface Triton's ensemble_image_client.py uses (one BYTES [1] input per batch row, a
 * classification output with labels), the same scores as the two models called one after the other,
 * and a bad image failing the request with INVALID_ARG naming the step. (The official client itself
 * is run by compat/tritonclient/run_images.py.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceClient, InferenceServerError, InferInput, InferRequestedOutput } from '@tensorgate/client';
import { pattern, solid, truncated } from '../helpers/images.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let clients: Record<'http' | 'grpc', InferenceClient>;
let images: Buffer[];
before(async () => {
  // The example repository itself (its models resolve sharp from this project's node_modules).
  s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'ensemble_image']);
  clients = { http: InferenceClient.http(s.http), grpc: InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`) };
  images = [
    await pattern(256, 256, 'jpeg'),
    await pattern(640, 480, 'png'),
    await solid(300, 200, [255, 140, 0], 'webp'),
  ];
});
after(async () => {
  await clients.http.close();
  await clients.grpc.close();
  await s.close();
});

const bytesInput = (name: string, list: Buffer[]): InferInput =>
  new InferInput(name, [list.length, 1], 'BYTES').setData(list.map((b) => new Uint8Array(b)));

test('the composing models load with the ensemble, which has the interface ensemble_image_client.py reads', async () => {
  for (const m of ['ensemble_image', 'image_preprocess', 'image_classifier']) {
    assert.equal((await fetch(`${s.http}/v2/models/${m}/ready`)).status, 200, m);
  }
  const meta = await clients.grpc.getModelMetadata('ensemble_image');
  assert.deepEqual(
    meta.inputs.map((i) => [i.name, i.datatype, [...i.shape]]),
    [['INPUT', 'BYTES', [-1, 1]]],
  );
  assert.deepEqual(
    meta.outputs.map((o) => [o.name, o.datatype, [...o.shape]]),
    [['OUTPUT', 'FP32', [-1, 1000]]],
  );
});

test('a batch of JPEG, PNG and WebP files scores as image_preprocess then image_classifier would, over HTTP and gRPC', async () => {
  const pre = await clients.grpc.infer('image_preprocess', [bytesInput('IMAGE', images)]);
  const tensor = pre.asTypedArray('PREPROCESSED') as Float32Array;
  const direct = await clients.grpc.infer('image_classifier', [
    new InferInput('input', [images.length, 3, 224, 224], 'FP32').setData(tensor),
  ]);
  const expected = direct.asTypedArray('output') as Float32Array;
  for (const via of ['http', 'grpc'] as const) {
    const r = await clients[via].infer('ensemble_image', [bytesInput('INPUT', images)]);
    const got = r.asTypedArray('OUTPUT') as Float32Array;
    assert.deepEqual(r.output('OUTPUT')?.shape, [3, 1000]);
    // The classifier's dynamic batcher may group the rows differently: equal up to float rounding.
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    assert.ok(worst < 1e-4, `largest difference ${worst} over ${via}`);
  }
});

test('classification: top 3 per image as "score:index:label", from the ensemble\'s own label file', async () => {
  for (const via of ['http', 'grpc'] as const) {
    const r = await clients[via].infer('ensemble_image', [bytesInput('INPUT', images)], {
      outputs: [new InferRequestedOutput('OUTPUT', { classCount: 3 })],
    });
    const rows = r.asStrings('OUTPUT');
    assert.equal(rows.length, 9);
    for (const row of rows) assert.match(row, /^-?\d+(\.\d+)?(e[-+]?\d+)?:(\d+):class_\d{4}$/);
    const [score, index, label] = rows[0]!.split(':');
    assert.equal(label, `class_${index!.padStart(4, '0')}`);
    assert.ok(Number(score) >= Number(rows[1]!.split(':')[0]));
  }
});

test('a bad image fails the request with INVALID_ARG naming the step, the model and the image', async () => {
  for (const via of ['http', 'grpc'] as const) {
    const e = await clients[via]
      .infer('ensemble_image', [bytesInput('INPUT', [images[0]!, truncated(images[1]!)])])
      .then(
        () => assert.fail('expected INVALID_ARG'),
        (err: unknown) => err,
      );
    assert.ok(e instanceof InferenceServerError);
    assert.equal(e.code, 'INVALID_ARG');
    assert.match(
      e.message,
      /^in ensemble 'ensemble_image', step 0 \(model 'image_preprocess'\): IMAGE\[1\] \(image 2 of 2\): PNG image could not be decoded: /,
    );
  }
  // ... and the pipeline serves the next request.
  const ok = await clients.grpc.infer('ensemble_image', [bytesInput('INPUT', [images[2]!])]);
  assert.equal((ok.asTypedArray('OUTPUT') as Float32Array).length, 1000);
});
