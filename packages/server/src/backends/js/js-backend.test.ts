import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import type { BackendModel } from '../../backend-api/backend.js';
import { normalizeConfig, readModelConfig } from '../../core/config/index.js';
import { createJsBackend } from './js-backend.js';
import {
  EXAMPLES_DIR,
  makeConfig,
  makeContext,
  makeRequest,
  output,
  tensor,
  type ConfigSpec,
} from './js-backend.test-helper.js';

const backend = createJsBackend();
const loaded: BackendModel[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.unload()));
});

async function loadExample(spec: ConfigSpec): Promise<BackendModel> {
  const model = await backend.loadModel(makeContext(EXAMPLES_DIR, makeConfig(spec)));
  loaded.push(model);
  return model;
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

describe('example models through the js backend', () => {
  test('simple adds and subtracts a batch of INT32 rows, returning only requested outputs', async () => {
    const model = await loadExample({
      name: 'simple',
      maxBatchSize: 8,
      inputs: [
        ['INPUT0', 'TYPE_INT32', [16]],
        ['INPUT1', 'TYPE_INT32', [16]],
      ],
      outputs: [
        ['OUTPUT0', 'TYPE_INT32', [16]],
        ['OUTPUT1', 'TYPE_INT32', [16]],
      ],
    });
    const a = range(32, (i) => i);
    const b = range(32, (i) => (i % 3) - 2147483647);
    const both = makeRequest(
      [tensor('INPUT0', 'INT32', [2, 16], a), tensor('INPUT1', 'INT32', [2, 16], b)],
      ['OUTPUT0', 'OUTPUT1'],
      { batchSize: 2 },
    );
    const onlyDiff = makeRequest(
      [tensor('INPUT0', 'INT32', [1, 16], a.slice(0, 16)), tensor('INPUT1', 'INT32', [1, 16], a.slice(0, 16))],
      ['OUTPUT1'],
    );
    const timings = await model.instances[0]!.execute([both, onlyDiff]);
    assert.ok(timings.computeInferNs >= 0 && timings.computeInputNs > 0 && timings.computeOutputNs > 0);

    const r = both.sender.single;
    const sum = output(r, 'OUTPUT0');
    assert.deepEqual(sum.shape, [2, 16]);
    assert.equal(sum.datatype, 'INT32');
    assert.deepEqual(
      decodeElements('INT32', sum.data),
      a.map((x, i) => (x + b[i]!) | 0),
    );
    assert.deepEqual(
      decodeElements('INT32', output(r, 'OUTPUT1').data),
      a.map((x, i) => (x - b[i]!) | 0),
    );
    const r2 = onlyDiff.sender.single;
    assert.deepEqual(
      r2.outputs.map((o) => o.name),
      ['OUTPUT1'],
    );
    assert.deepEqual(
      decodeElements('INT32', r2.outputs[0]!.data),
      range(16, () => 0),
    );
  });

  test('simple_string works on decimal strings and fails only the request with a bad element', async () => {
    const model = await loadExample({
      name: 'simple_string',
      maxBatchSize: 8,
      inputs: [
        ['INPUT0', 'TYPE_STRING', [16]],
        ['INPUT1', 'TYPE_STRING', [16]],
      ],
      outputs: [
        ['OUTPUT0', 'TYPE_STRING', [16]],
        ['OUTPUT1', 'TYPE_STRING', [16]],
      ],
    });
    const a = range(16, (i) => i);
    const good = makeRequest(
      [
        tensor('INPUT0', 'BYTES', [1, 16], a.map(String)),
        tensor(
          'INPUT1',
          'BYTES',
          [1, 16],
          a.map(() => '1'),
        ),
      ],
      ['OUTPUT0', 'OUTPUT1'],
    );
    const bad = makeRequest(
      [
        tensor(
          'INPUT0',
          'BYTES',
          [1, 16],
          a.map((i) => (i === 3 ? 'x3' : String(i))),
        ),
        tensor('INPUT1', 'BYTES', [1, 16], a.map(String)),
      ],
      ['OUTPUT0'],
    );
    await model.instances[0]!.execute([good, bad]);
    const sum = output(good.sender.single, 'OUTPUT0');
    assert.equal(sum.datatype, 'BYTES');
    assert.deepEqual(sum.shape, [1, 16]);
    assert.deepEqual(
      decodeElements('BYTES', sum.data),
      a.map((i) => String(i + 1)),
    );
    assert.deepEqual(
      decodeElements('BYTES', output(good.sender.single, 'OUTPUT1').data),
      a.map((i) => String(i - 1)),
    );
    const err = bad.sender.single.error;
    assert.equal(err?.code, 'INVALID_ARG');
    assert.match(err.message, /INPUT0 element 3 is not a decimal integer: 'x3'/);
  });

  test('identity_fp32 returns a 19 MB tensor bit for bit, NaN payloads included', async () => {
    const model = await loadExample({
      name: 'identity_fp32',
      inputs: [['INPUT0', 'TYPE_FP32', [-1]]],
      outputs: [['OUTPUT0', 'TYPE_FP32', [-1]]],
    });
    const n = (19 * 1024 * 1024) / 4;
    const bits = new Uint32Array(n);
    for (let i = 0; i < n; i++) bits[i] = (Math.imul(i, 2654435761) >>> 0) ^ 0x7fc00000;
    bits[0] = 0x7fc00001; // quiet NaN with a payload
    bits[1] = 0xffbfffff; // signalling NaN, negative
    const raw = new Uint8Array(bits.buffer);
    const big = makeRequest([{ name: 'INPUT0', datatype: 'FP32', shape: [n], data: raw }], ['OUTPUT0']);
    const small = makeRequest([tensor('INPUT0', 'FP32', [3], [1.5, -0, Infinity])], ['OUTPUT0']);
    await model.instances[0]!.execute([big, small]);
    const out = output(big.sender.single, 'OUTPUT0');
    assert.deepEqual(out.shape, [n]);
    assert.equal(out.data.byteLength, raw.byteLength);
    assert.ok(Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength).equals(raw), 'bytes differ');
    assert.equal(raw.byteLength, n * 4, 'the caller keeps its own input bytes');
    assert.deepEqual(decodeElements('FP32', output(small.sender.single, 'OUTPUT0').data), [1.5, -0, Infinity]);
  });

  test('repeat_int32 sends one response per element, then a bare final flag', async () => {
    const model = await loadExample({
      name: 'repeat_int32',
      decoupled: true,
      inputs: [
        ['IN', 'TYPE_INT32', [-1]],
        ['DELAY', 'TYPE_UINT32', [-1]],
        ['WAIT', 'TYPE_UINT32', [1]],
      ],
      outputs: [
        ['OUT', 'TYPE_INT32', [1]],
        ['IDX', 'TYPE_UINT32', [1]],
      ],
    });
    const three = makeRequest(
      [
        tensor('IN', 'INT32', [3], [7, -8, 9]),
        tensor('DELAY', 'UINT32', [3], [1, 0, 2]),
        tensor('WAIT', 'UINT32', [1], [0]),
      ],
      ['OUT', 'IDX'],
    );
    await model.instances[0]!.execute([three]);
    const sent = await three.sender.done;
    assert.equal(sent.length, 4);
    assert.deepEqual(
      sent.map((s) => s.final),
      [false, false, false, true],
    );
    assert.equal(sent[3]!.response, undefined, 'the final flag is bare');
    const outs = sent.slice(0, 3).map((s) => decodeElements('INT32', output(s.response!, 'OUT').data)[0]);
    const idx = sent.slice(0, 3).map((s) => decodeElements('UINT32', output(s.response!, 'IDX').data)[0]);
    assert.deepEqual(outs, [7, -8, 9]);
    assert.deepEqual(idx, [0, 1, 2]);
    assert.deepEqual(output(sent[0]!.response!, 'OUT').shape, [1]);

    const none = makeRequest(
      [tensor('IN', 'INT32', [0], []), tensor('DELAY', 'UINT32', [0], []), tensor('WAIT', 'UINT32', [1], [1])],
      ['OUT', 'IDX'],
    );
    await model.instances[0]!.execute([none]);
    assert.deepEqual(none.sender.sent, [{ response: undefined, final: true }]);

    const mismatched = makeRequest(
      [tensor('IN', 'INT32', [2], [1, 2]), tensor('DELAY', 'UINT32', [1], [0]), tensor('WAIT', 'UINT32', [1], [0])],
      ['OUT'],
    );
    await model.instances[0]!.execute([mismatched]);
    assert.equal(mismatched.sender.single.error?.code, 'INVALID_ARG');
  });

  test('sleep_ms echoes its input, runs two instances at once and stops early when cancelled', async () => {
    const model = await loadExample({
      name: 'sleep_ms',
      inputs: [['INPUT0', 'TYPE_UINT32', [1]]],
      outputs: [['OUTPUT0', 'TYPE_UINT32', [1]]],
      instanceGroups: [{ count: 2, kind: 'KIND_CPU' }],
    });
    assert.deepEqual(
      model.instances.map((i) => i.name),
      ['sleep_ms_0_0', 'sleep_ms_0_1'],
    );
    const quick = makeRequest([tensor('INPUT0', 'UINT32', [1], [2])], ['OUTPUT0']);
    const abort = new AbortController();
    // An hour-long sleep: the test can only finish if cancellation reaches the model.
    const long = makeRequest([tensor('INPUT0', 'UINT32', [1], [3_600_000])], ['OUTPUT0'], { signal: abort.signal });
    const longDone = model.instances[1]!.execute([long]);
    await model.instances[0]!.execute([quick]);
    assert.deepEqual(decodeElements('UINT32', output(quick.sender.single, 'OUTPUT0').data), [2]);
    abort.abort();
    await longDone;
    assert.equal(long.sender.single.error?.code, 'CANCELLED');
  });

  test('moving_average computes windowed means and rejects a bad window', async () => {
    const model = await loadExample({
      name: 'moving_average',
      inputs: [
        ['INPUT', 'TYPE_FP32', [-1]],
        ['WINDOW', 'TYPE_INT32', [1]],
      ],
      outputs: [['OUTPUT', 'TYPE_FP32', [-1]]],
    });
    const ok = makeRequest(
      [tensor('INPUT', 'FP32', [5], [1, 2, 3, 4, 10]), tensor('WINDOW', 'INT32', [1], [2])],
      ['OUTPUT'],
    );
    const tooBig = makeRequest([tensor('INPUT', 'FP32', [2], [1, 2]), tensor('WINDOW', 'INT32', [1], [3])], ['OUTPUT']);
    const zero = makeRequest([tensor('INPUT', 'FP32', [2], [1, 2]), tensor('WINDOW', 'INT32', [1], [0])], ['OUTPUT']);
    await model.instances[0]!.execute([ok, tooBig, zero]);
    const out = output(ok.sender.single, 'OUTPUT');
    assert.deepEqual(out.shape, [4]);
    assert.deepEqual(decodeElements('FP32', out.data), [1.5, 2.5, 3.5, 7]);
    for (const r of [tooBig, zero]) {
      assert.equal(r.sender.single.error?.code, 'INVALID_ARG');
      assert.match(r.sender.single.error!.message, /WINDOW must be between 1 and the length of INPUT \(2\)/);
    }
  });

  test('every example config.pbtxt normalizes and loads with the js backend', async () => {
    const names = ['simple', 'simple_string', 'identity_fp32', 'repeat_int32', 'sleep_ms', 'moving_average'];
    for (const name of names) {
      const raw = await readModelConfig(`${EXAMPLES_DIR}${name}`, name);
      assert.ok(raw, `${name} has a config.pbtxt`);
      const config = normalizeConfig(raw, { modelName: name });
      assert.equal(config.backend, 'js');
      const model = await backend.loadModel(makeContext(EXAMPLES_DIR, config));
      assert.ok(model.instances.length >= 1);
      if (name === 'simple') {
        const req = makeRequest(
          [
            tensor(
              'INPUT0',
              'INT32',
              [1, 16],
              range(16, (i) => i),
            ),
            tensor(
              'INPUT1',
              'INT32',
              [1, 16],
              range(16, () => 1),
            ),
          ],
          ['OUTPUT0'],
        );
        await model.instances[0]!.execute([req]);
        assert.deepEqual(
          decodeElements('INT32', output(req.sender.single, 'OUTPUT0').data),
          range(16, (i) => i + 1),
        );
      }
      await model.unload();
    }
  });
});
