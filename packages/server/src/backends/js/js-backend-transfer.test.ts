// Large inputs whose buffers the frontend gave up move to the worker and back without copies.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendModel } from '../../backend-api/backend.js';
import { createJsBackend } from './js-backend.js';
import {
  makeConfig,
  makeContext,
  makeRequest,
  output,
  removeTempRepos,
  writeModel,
  type ConfigSpec,
} from './js-backend.test-helper.js';

const loaded: BackendModel[] = [];
after(async () => {
  await Promise.all(loaded.map((m) => m.unload()));
  await removeTempRepos();
});

test('owned input buffers shared by two large inputs move to the worker; both echoed outputs are exact', async () => {
  const spec: ConfigSpec = {
    name: 'pair_identity',
    inputs: [
      ['A', 'TYPE_FP32', [-1]],
      ['B', 'TYPE_FP32', [-1]],
    ],
    outputs: [
      ['A_OUT', 'TYPE_FP32', [-1]],
      ['B_OUT', 'TYPE_FP32', [-1]],
    ],
  };
  const repo = await writeModel(
    spec.name,
    `export default class { execute(requests) {
       return requests.map((r) => ({ outputs: [
         { name: 'A_OUT', data: r.input('A').data },
         { name: 'B_OUT', data: r.input('B').data },
       ] }));
     } }`,
  );
  const model = await createJsBackend().loadModel(makeContext(repo, makeConfig(spec)));
  loaded.push(model);

  // One received "message" buffer holding a header and two 256 KiB tensors, as grpc-js gives them.
  const n = 65536;
  const message = new ArrayBuffer(16 + 8 * n);
  const a = new Float32Array(message, 16, n);
  const b = new Float32Array(message, 16 + 4 * n, n);
  for (let i = 0; i < n; i++) {
    a[i] = i * 0.5;
    b[i] = -i;
  }
  const expectA = Buffer.from(new Uint8Array(message, 16, 4 * n));
  const expectB = Buffer.from(new Uint8Array(message, 16 + 4 * n, 4 * n));
  const req = {
    ...makeRequest(
      [
        { name: 'A', datatype: 'FP32', shape: [n], data: new Uint8Array(message, 16, 4 * n) },
        { name: 'B', datatype: 'FP32', shape: [n], data: new Uint8Array(message, 16 + 4 * n, 4 * n) },
      ],
      ['A_OUT', 'B_OUT'],
    ),
    inputBuffersOwned: true,
  };
  await model.instances[0]!.execute([req]);
  assert.equal(message.byteLength, 0, 'the received buffer moved to the worker instead of being copied');
  const res = req.sender.single;
  assert.ok(Buffer.from(output(res, 'A_OUT').data).equals(expectA));
  assert.ok(Buffer.from(output(res, 'B_OUT').data).equals(expectB));
});

test('without ownership the caller keeps its buffers', async () => {
  const spec: ConfigSpec = {
    name: 'keep_identity',
    inputs: [['A', 'TYPE_FP32', [-1]]],
    outputs: [['A_OUT', 'TYPE_FP32', [-1]]],
  };
  const repo = await writeModel(
    spec.name,
    `export default class { execute(rs) { return rs.map((r) => ({ outputs: [{ name: 'A_OUT', data: r.input('A').data }] })); } }`,
  );
  const model = await createJsBackend().loadModel(makeContext(repo, makeConfig(spec)));
  loaded.push(model);
  const data = new Uint8Array(4 * 65536).fill(7);
  const req = makeRequest([{ name: 'A', datatype: 'FP32', shape: [65536], data }], ['A_OUT']);
  await model.instances[0]!.execute([req]);
  assert.equal(data.byteLength, 4 * 65536);
  assert.ok(Buffer.from(output(req.sender.single, 'A_OUT').data).equals(Buffer.from(data)));
});
