import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import { accumulatorStateOnnx } from '@tensorgate/onnx-gen';
import type { ModelConfig } from '../../core/config/model-config.js';
import { makeContext, makeRequest, output, tensor } from '../js/js-backend.test-helper.js';
import { completeConfig } from './auto-complete.js';
import { checkConfigAgainstModel } from './model-io-check.js';
import { createOnnxRuntimeBackend } from './ort-backend.js';
import { ortConfig, removeOnnxRepos, writeOnnx } from './ort.test-helper.js';
import type { OnnxModelMetadata } from './ort-types.js';

after(removeOnnxRepos);

const backend = createOnnxRuntimeBackend({
  restartDelayMs: () => 0,
  drainTimeoutMs: 2000,
  cudaSupport: () => ({ available: false, reason: 'no CUDA in this test' }),
});
const ints = (t: { data: Uint8Array }): number[] => decodeElements('INT32', t.data) as number[];

const STATE = {
  state: [{ input_name: 'INPUT_STATE', output_name: 'OUTPUT_STATE', data_type: 'TYPE_INT32', dims: [1] }],
};

const accConfig = (state: Record<string, unknown> = STATE): ModelConfig => ({
  ...ortConfig({
    name: 'acc',
    maxBatchSize: 8,
    inputs: [['INPUT', 'TYPE_INT32', [1]]],
    outputs: [['OUTPUT', 'TYPE_INT32', [1]]],
  }),
  sequence_batching: state,
});

const META: OnnxModelMetadata = {
  inputs: [
    { name: 'INPUT', isTensor: true, type: 'int32', shape: ['batch', 1] },
    { name: 'INPUT_STATE', isTensor: true, type: 'int32', shape: ['batch', 1] },
  ],
  outputs: [
    { name: 'OUTPUT', isTensor: true, type: 'int32', shape: ['batch', 1] },
    { name: 'OUTPUT_STATE', isTensor: true, type: 'int32', shape: ['batch', 1] },
  ],
};

describe('onnxruntime backend: implicit state tensors', () => {
  test('the config check accepts graph state tensors the config lists as states, and checks them', () => {
    checkConfigAgainstModel(accConfig(), META);
    // Without the state block, the extra graph input is a config error, as before.
    assert.throws(
      () => checkConfigAgainstModel(accConfig({}), META),
      /input\(s\) 'INPUT_STATE' that config\.pbtxt does not list/,
    );
    const wrong = (s: Record<string, unknown>) => accConfig({ state: [{ ...STATE.state[0], ...s }] });
    assert.throws(
      () => checkConfigAgainstModel(wrong({ input_name: 'NOPE' }), META),
      /state input 'NOPE' \(sequence_batching\.state\) is not an input of model\.onnx/,
    );
    assert.throws(
      () => checkConfigAgainstModel(wrong({ output_name: 'NOPE' }), META),
      /state output 'NOPE' \(sequence_batching\.state\) is not an output of model\.onnx/,
    );
    assert.throws(
      () => checkConfigAgainstModel(wrong({ data_type: 'TYPE_FP32' }), META),
      /input 'INPUT_STATE' has datatype TYPE_FP32 in config\.pbtxt but int32/,
    );
  });

  test('auto-complete leaves state tensors out of the input and output lists', () => {
    const { config } = completeConfig({ name: 'acc', backend: 'onnxruntime', sequence_batching: STATE }, META, 'acc');
    assert.deepEqual(
      config.input?.map((i) => i.name),
      ['INPUT'],
    );
    assert.deepEqual(
      config.output?.map((o) => o.name),
      ['OUTPUT'],
    );
    // A sequence model gets no dynamic_batching added.
    assert.equal(config.dynamic_batching, undefined);
  });

  test('a batch of requests with their state rows runs as one; each gets its own OUTPUT_STATE', async () => {
    const config = accConfig();
    const repo = await writeOnnx(config.name, accumulatorStateOnnx());
    const model = await backend.loadModel(makeContext(repo, config));
    try {
      const reqs = [
        [1, 100],
        [2, 200],
      ].map(([x, s]) =>
        makeRequest(
          [tensor('INPUT', 'INT32', [1, 1], [x]), tensor('INPUT_STATE', 'INT32', [1, 1], [s])],
          ['OUTPUT', 'OUTPUT_STATE'],
        ),
      );
      await model.instances[0]!.execute(reqs);
      assert.deepEqual(ints(output(reqs[0]!.sender.single, 'OUTPUT')), [101]);
      assert.deepEqual(ints(output(reqs[0]!.sender.single, 'OUTPUT_STATE')), [101]);
      assert.deepEqual(ints(output(reqs[1]!.sender.single, 'OUTPUT_STATE')), [202]);
      assert.deepEqual(output(reqs[1]!.sender.single, 'OUTPUT_STATE').shape, [1, 1]);
    } finally {
      await model.unload();
    }
  });
});
