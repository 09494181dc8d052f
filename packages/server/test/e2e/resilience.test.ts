/**
 * Resilience over the real wire: a model whose worker crashes fails only the requests in flight on
 * that instance (with a clear message) and serves again after its restart; a bounded burst of
 * concurrent, mixed valid and invalid requests on both protocols gets exactly the right answers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpc, grpcClient, unary, type Msg } from '../helpers/grpc-client.js';
import { range, raw, values } from '../helpers/tensors.js';
import { EXAMPLES, eventually, startServer, type TestServer } from '../helpers/servers.js';

let dir: string;
let s: TestServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-resilience-'));
  await cp(join(EXAMPLES, 'simple'), join(dir, 'simple'), { recursive: true });
  await mkdir(join(dir, 'crashy', '1'), { recursive: true });
  await writeFile(
    join(dir, 'crashy', 'config.pbtxt'),
    `name: "crashy"
backend: "js"
max_batch_size: 0
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
`,
  );
  await writeFile(
    join(dir, 'crashy', '1', 'model.js'),
    `export default class {
  execute(requests) {
    return requests.map((r) => {
      const n = r.input('IN').data[0];
      if (n < 0) process.exit(3); // a fatal bug in the model
      return { outputs: [{ name: 'OUT', data: [n * 2] }] };
    });
  }
}
`,
  );
  s = await startServer(['--strict-readiness', 'false'], dir);
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const crashy = (n: number) =>
  fetch(`${s.http}/v2/models/crashy/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'IN', shape: [1], datatype: 'INT32', data: [n] }] }),
  });

test('a crashing worker fails its request clearly, other models keep serving, and the instance comes back', async () => {
  assert.equal((await crashy(4)).status, 200);
  const r = await crashy(-1);
  assert.equal(r.status, 500);
  assert.match(((await r.json()) as { error: string }).error, /crashy.*crashed.*restarted/);
  const simple = await fetch(`${s.http}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
    }),
  });
  assert.equal(simple.status, 200);
  await eventually(async () => (await crashy(5)).status === 200);
  const ok = (await (await crashy(21)).json()) as { outputs: Array<{ data: number[] }> };
  assert.deepEqual(ok.outputs[0]!.data, [42]);
});

test('a burst of 200 concurrent mixed requests on both protocols: every answer is the right one', async () => {
  const client = grpcClient(s.grpcPort);
  try {
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const bad = i % 7 === 0;
      const a = range(16, i);
      if (i % 2 === 0) {
        jobs.push(
          (async () => {
            const r = await fetch(`${s.http}/v2/models/simple/infer`, {
              method: 'POST',
              body: JSON.stringify({
                id: `h${i}`,
                inputs: [
                  { name: 'INPUT0', shape: [1, bad ? 15 : 16], datatype: 'INT32', data: a.slice(0, bad ? 15 : 16) },
                  { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
                ],
              }),
            });
            if (bad) {
              assert.equal(r.status, 400);
              return;
            }
            const body = (await r.json()) as { id: string; outputs: Array<{ name: string; data: number[] }> };
            assert.equal(body.id, `h${i}`);
            assert.deepEqual(
              body.outputs.find((o) => o.name === 'OUTPUT0')!.data,
              a.map((x, k) => x + k),
            );
          })(),
        );
      } else {
        jobs.push(
          (async () => {
            const req: Msg = {
              model_name: bad ? 'nope' : 'simple',
              id: `g${i}`,
              inputs: [
                { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
                { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
              ],
              raw_input_contents: [raw('INT32', a), raw('INT32', range(16))],
            };
            if (bad) {
              await assert.rejects(
                unary(client, 'ModelInfer', req),
                (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND,
              );
              return;
            }
            const res = await unary(client, 'ModelInfer', req);
            assert.equal(res['id'], `g${i}`);
            const idx = res['outputs'].findIndex((o: Msg) => o['name'] === 'OUTPUT1');
            assert.deepEqual(
              values('INT32', res['raw_output_contents'][idx]),
              a.map((x, k) => x - k),
            );
          })(),
        );
      }
    }
    await Promise.all(jobs);
  } finally {
    client.close();
  }
});
