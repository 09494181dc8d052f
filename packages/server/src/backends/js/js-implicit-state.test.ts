import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import { normalizeConfig, readModelConfig } from '../../core/config/index.js';
import type { ModelConfig } from '../../core/config/model-config.js';
import { loadStateSpecs } from '../../core/scheduling/sequence/state-config.js';
import { withImplicitState } from '../../core/scheduling/sequence/state-injection.js';
import { SequenceStateStore } from '../../core/scheduling/sequence/state-store.js';
import { createJsBackend } from './js-backend.js';
import {
  EXAMPLES_DIR,
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

describe('example anomaly_score through the js backend and the state store', () => {
  test('the window carries across requests: a spike scores high, a new sequence starts empty', async () => {
    const raw = await readModelConfig(`${EXAMPLES_DIR}anomaly_score`, 'anomaly_score');
    assert.ok(raw);
    const config = normalizeConfig(raw, { modelName: 'anomaly_score' });
    const store = new SequenceStateStore(await loadStateSpecs(config, `${EXAMPLES_DIR}anomaly_score`), {
      model: 'anomaly_score',
      batching: true,
      maxSequences: 2,
    });
    const model = await backend.loadModel(makeContext(EXAMPLES_DIR, config));
    try {
      const send = async (key: string, values: number[], start = false) => {
        const req = makeRequest([tensor('VALUE', 'FP32', [1, values.length], values)], ['SCORE', 'MEAN']);
        await model.instances[0]!.execute([withImplicitState(req, store, key, { start, end: false })]);
        const r = req.sender.single;
        assert.equal(r.error, undefined, r.error?.message);
        // The state output travels on to the core, which answers the client only what it asked for.
        assert.deepEqual(r.outputs.map((o) => o.name).sort(), ['MEAN', 'SCORE', 'WINDOW_OUT']);
        return { score: floats(output(r, 'SCORE')), mean: floats(output(r, 'MEAN')) };
      };
      // A calm series around 10, a few points per request, then a spike.
      const calm = [10, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10.3];
      await send('a', calm.slice(0, 3), true);
      await send('b', [100, 101], true);
      const later = await send('a', calm.slice(3));
      for (const z of later.score) assert.ok(Math.abs(z) < 3, `calm point scored ${z}`);
      assert.ok(Math.abs(later.mean.at(-1)! - 10.0375) < 1e-4);
      const spike = await send('a', [30]);
      assert.ok(spike.score[0]! > 10, `spike scored ${spike.score[0]}`);
      // Series b kept its own window; a new sequence under a's id starts from an empty window.
      assert.ok(Math.abs((await send('b', [102])).mean[0]! - 101) < 1e-4);
      const fresh = await send('a', [30], true);
      assert.deepEqual(fresh.score, [0]);
      assert.deepEqual(fresh.mean, [30]);
    } finally {
      await model.unload();
    }
  });
});
