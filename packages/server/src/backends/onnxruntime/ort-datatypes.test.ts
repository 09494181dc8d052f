import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements, fromConfigDataType } from '@tensorgate/protocol';
import { makeContext, makeRequest, output, tensor } from '../js/js-backend.test-helper.js';
import { createOnnxRuntimeBackend } from './ort-backend.js';
import { identityOnnx } from '@tensorgate/onnx-gen';
import { ortConfig, removeOnnxRepos, SERVED_TYPES, writeOnnx } from './ort.test-helper.js';

after(removeOnnxRepos);

const backend = createOnnxRuntimeBackend({ drainTimeoutMs: 2000 });

/** Six sample values per datatype, edge values included. */
const SAMPLES: Record<string, unknown[]> = {
  FP32: [0, -1.5, 3.25, 1e30, -0, 7],
  FP64: [Math.PI, -1e300, 0, 2 ** -1074, 5, -6],
  FP16: [1, -2, 0.5, 65504, -0.25, 0],
  INT8: [-128, 127, 0, 1, -1, 5],
  INT16: [-32768, 32767, 0, 1, -1, 5],
  INT32: [-(2 ** 31), 2 ** 31 - 1, 0, 1, -1, 5],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, -1n, 5n],
  UINT8: [0, 255, 1, 2, 3, 4],
  UINT16: [0, 65535, 1, 2, 3, 4],
  UINT32: [0, 2 ** 32 - 1, 1, 2, 3, 4],
  UINT64: [0n, 2n ** 64n - 1n, 1n, 2n, 3n, 4n],
  BOOL: [true, false, true, true, false, false],
  BYTES: ['', 'a', 'héllo', '日本', 'x'.repeat(100), 'z'],
};

describe('onnxruntime backend: every datatype through an Identity model', () => {
  for (const [onnxType, configType] of SERVED_TYPES) {
    const datatype = fromConfigDataType(configType)!;
    test(`${datatype} (${onnxType}): one request and a merged batch of two keep their bytes`, async () => {
      const name = `identity_${onnxType}`;
      const config = ortConfig({
        name,
        maxBatchSize: 4,
        inputs: [['IN', configType, [3]]],
        outputs: [['OUT', configType, [3]]],
      });
      const repo = await writeOnnx(name, identityOnnx(onnxType, ['batch', 3]));
      const model = await backend.loadModel(makeContext(repo, config));
      try {
        const values = SAMPLES[datatype]!;
        const single = makeRequest([tensor('IN', datatype, [2, 3], values)], ['OUT'], { batchSize: 2 });
        await model.instances[0]!.execute([single]);
        const out = output(single.sender.single, 'OUT');
        assert.equal(out.datatype, datatype);
        assert.deepEqual(out.shape, [2, 3]);
        assert.deepEqual(Buffer.from(out.data), Buffer.from(tensor('IN', datatype, [2, 3], values).data));

        const first = makeRequest([tensor('IN', datatype, [1, 3], values.slice(3))], ['OUT'], { batchSize: 1 });
        const second = makeRequest([tensor('IN', datatype, [2, 3], values)], ['OUT'], { batchSize: 2 });
        await model.instances[0]!.execute([first, second]);
        assert.deepEqual(
          Buffer.from(output(first.sender.single, 'OUT').data),
          Buffer.from(tensor('IN', datatype, [1, 3], values.slice(3)).data),
        );
        assert.deepEqual(
          Buffer.from(output(second.sender.single, 'OUT').data),
          Buffer.from(tensor('IN', datatype, [2, 3], values).data),
        );
      } finally {
        await model.unload();
      }
    });
  }

  test('a BYTES element that is not UTF-8 fails that request with INVALID_ARG; others in the batch succeed', async () => {
    const config = ortConfig({
      name: 'identity_str',
      maxBatchSize: 4,
      inputs: [['IN', 'TYPE_STRING', [1]]],
      outputs: [['OUT', 'TYPE_STRING', [1]]],
    });
    const repo = await writeOnnx('identity_str', identityOnnx('string', ['batch', 1]));
    const model = await backend.loadModel(makeContext(repo, config));
    try {
      const bad = makeRequest(
        [{ name: 'IN', datatype: 'BYTES', shape: [1, 1], data: encodeBytesElements([new Uint8Array([0xff, 0xfe])]) }],
        ['OUT'],
      );
      const good = makeRequest([tensor('IN', 'BYTES', [1, 1], ['ok'])], ['OUT']);
      await model.instances[0]!.execute([bad, good]);
      assert.equal(bad.sender.single.error?.code, 'INVALID_ARG');
      assert.match(bad.sender.single.error!.message, /input 'IN': element 0 is not valid UTF-8/);
      assert.deepEqual(Buffer.from(output(good.sender.single, 'OUT').data), Buffer.from(encodeBytesElements(['ok'])));
    } finally {
      await model.unload();
    }
  });

  test('a scalar model input and output are served with config dims [1] (max_batch_size 0)', async () => {
    const config = ortConfig({
      name: 'scalar',
      inputs: [['IN', 'TYPE_INT64', [1]]],
      outputs: [['OUT', 'TYPE_INT64', [1]]],
    });
    const repo = await writeOnnx('scalar', identityOnnx('int64', []));
    const model = await backend.loadModel(makeContext(repo, config));
    try {
      const req = makeRequest([tensor('IN', 'INT64', [1], [16000n])], ['OUT']);
      await model.instances[0]!.execute([req]);
      const out = output(req.sender.single, 'OUT');
      assert.deepEqual(out.shape, [1]);
      assert.deepEqual(Buffer.from(out.data), Buffer.from(tensor('IN', 'INT64', [1], [16000n]).data));
    } finally {
      await model.unload();
    }
  });
});
