import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { createJsBackend } from './js-backend.js';
import {
  makeConfig,
  makeContext,
  makeRequest,
  output,
  removeTempRepos,
  tensor,
  writeModel,
} from './js-backend.test-helper.js';

after(removeTempRepos);

const backend = createJsBackend();
const floats = (t: { data: Uint8Array }): number[] => decodeElements('FP32', t.data) as number[];

const config = (): ModelConfig => ({
  ...makeConfig({
    name: 'running_sum',
    maxBatchSize: 4,
    inputs: [['X', 'TYPE_FP32', [1]]],
    outputs: [['SUM', 'TYPE_FP32', [1]]],
  }),
  sequence_batching: {
    state: [{ input_name: 'SUM_IN', output_name: 'SUM_OUT', data_type: 'TYPE_FP32', dims: [1] }],
  },
});

// The model sees the state input like any input and returns the state output like any output;
// `mode` lets one request leave it out or give it the wrong type.
const MODEL = `
export default class RunningSum {
  execute(requests) {
    return requests.map((r) => {
      const sum = r.input('SUM_IN').data[0] + r.input('X').data[0];
      const mode = r.parameters.mode;
      const outputs = [{ name: 'SUM', data: [sum] }];
      if (mode === 'int') outputs.push({ name: 'SUM_OUT', datatype: 'INT32', data: [sum] });
      else if (mode !== 'none') outputs.push({ name: 'SUM_OUT', data: [sum] });
      return { outputs };
    });
  }
}`;

describe('js backend: implicit state tensors', () => {
  test('a state output defaults to the state datatype and dims, and is validated against them', async () => {
    const repo = await writeModel('running_sum', MODEL);
    const model = await backend.loadModel(makeContext(repo, config()));
    try {
      const req = (x: number, s: number, mode = '') => {
        const r = makeRequest(
          [tensor('X', 'FP32', [1, 1], [x]), tensor('SUM_IN', 'FP32', [1, 1], [s])],
          ['SUM', 'SUM_OUT'],
        );
        return mode ? { ...r, parameters: { mode } } : r;
      };
      const ok = req(2, 40);
      const wrongType = req(1, 1, 'int');
      const missing = req(1, 1, 'none');
      await model.instances[0]!.execute([ok, wrongType, missing]);
      const state = output(ok.sender.single, 'SUM_OUT');
      assert.equal(state.datatype, 'FP32');
      assert.deepEqual(state.shape, [1, 1]);
      assert.deepEqual(floats(state), [42]);
      assert.match(
        wrongType.sender.single.error?.message ?? '',
        /invalid output 'SUM_OUT': datatype INT32 does not match the config \(FP32\)/,
      );
      // Leaving a state output out is the state store's error to report (it knows the request needs it).
      assert.deepEqual(
        missing.sender.single.outputs.map((o) => o.name),
        ['SUM'],
      );
    } finally {
      await model.unload();
    }
  });
});
