/**
 * `model_warmup` over the real wire: samples run on every instance before the model is READY,
 * and a model that fails its warmup is reported UNAVAILABLE with the reason.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/servers.js';

/** Counts execute() calls and batch sizes; answers COUNT = calls so far, BATCH = requests in this call. */
const COUNTER_JS = `
export default class Counter {
  calls = 0;
  execute(requests) {
    this.calls++;
    if (requests.some((r) => r.input('X').data[0] === 13)) throw new Error('unlucky warmup value');
    return requests.map(() => ({
      outputs: [
        { name: 'COUNT', data: new Int32Array([this.calls]) },
        { name: 'BATCH', data: new Int32Array([requests.length]) },
      ],
    }));
  }
}
`;

function counterConfig(name: string, warmup: string): string {
  return `name: "${name}"
backend: "js"
max_batch_size: 0
input [ { name: "X", data_type: TYPE_INT32, dims: [ 1 ] } ]
output [ { name: "COUNT", data_type: TYPE_INT32, dims: [ 1 ] }, { name: "BATCH", data_type: TYPE_INT32, dims: [ 1 ] } ]
instance_group [ { count: 2, kind: KIND_CPU } ]
model_warmup [ ${warmup} ]
`;
}

let root: string;
let s: TestServer;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tg-warmup-e2e-'));
  const models: Record<string, string> = {
    warm: `{ name: "zeros" batch_size: 1 count: 3 inputs { key: "X" value { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true } } }`,
    cold_fail: `{ name: "thirteen" batch_size: 1 inputs { key: "X" value { data_type: TYPE_INT32 dims: [ 1 ] input_data_file: "x.bin" } } }`,
  };
  for (const [name, warmup] of Object.entries(models)) {
    await mkdir(join(root, name, '1'), { recursive: true });
    await mkdir(join(root, name, 'warmup'), { recursive: true });
    await writeFile(join(root, name, 'config.pbtxt'), counterConfig(name, warmup));
    await writeFile(join(root, name, '1', 'model.js'), COUNTER_JS);
    await writeFile(join(root, name, 'warmup', 'x.bin'), Buffer.from(new Int32Array([13]).buffer));
  }
  // cold_fail fails to load: serve the others rather than stop (Triton's default --exit-on-error=true).
  s = await startServer(['--exit-on-error=false'], root);
});
after(async () => {
  await s?.close();
  await rm(root, { recursive: true, force: true });
});

test('every instance ran the sample `count` times before the first request', async () => {
  // Two instances, one request each (the default scheduler picks the idle one): both have run
  // the 3 warmup executions already, so each first client request is execution 4.
  const infer = () =>
    fetch(`${s.http}/v2/models/warm/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'X', shape: [1], datatype: 'INT32', data: [1] }] }),
    }).then(async (r) => {
      assert.equal(r.status, 200);
      const body = (await r.json()) as { outputs: Array<{ name: string; data: number[] }> };
      return body.outputs.find((o) => o.name === 'COUNT')!.data[0];
    });
  const counts = await Promise.all([infer(), infer()]);
  assert.deepEqual(counts, [4, 4]);
  // Warmup requests are not client requests: statistics start at zero.
  const stats = (await (await fetch(`${s.http}/v2/models/warm/stats`)).json()) as {
    model_stats: Array<{ inference_count: number }>;
  };
  assert.equal(stats.model_stats[0]!.inference_count, 2);
});

test('a model that fails its warmup is UNAVAILABLE with the reason, and the server serves', async () => {
  const index = (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Array<{
    name: string;
    state: string;
    reason: string;
  }>;
  const failed = index.find((m) => m.name === 'cold_fail')!;
  assert.equal(failed.state, 'UNAVAILABLE');
  assert.match(failed.reason, /failed warmup sample 'thirteen' on instance .*unlucky warmup value/);
  const r = await fetch(`${s.http}/v2/models/cold_fail/ready`);
  assert.equal(r.status, 400);
  assert.equal((await fetch(`${s.http}/v2/models/warm/ready`)).status, 200);
});
