/**
 * The classification extension over the real wire, on a copy of `simple` whose OUTPUT0 has labels.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { range, raw, values } from '../helpers/tensors.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let repo: Awaited<ReturnType<typeof tempRepository>>;
before(async () => {
  repo = await tempRepository(['simple']);
  const cfgPath = join(repo.path, 'simple', 'config.pbtxt');
  const cfg = await readFile(cfgPath, 'utf8');
  // Give OUTPUT0 a label file: class i is "c<i>".
  await writeFile(cfgPath, cfg.replace(/(name:\s*"OUTPUT0"[^}]*?)(\n\s*\})/, '$1\n    label_filename: "labels.txt"$2'));
  await writeFile(
    join(repo.path, 'simple', 'labels.txt'),
    range(16)
      .map((i) => `c${i}`)
      .join('\n') + '\n',
  );
  s = await startServer([], repo.path);
});
after(async () => {
  await s.close();
  await repo.remove();
});

test('HTTP: classification returns top-N "value:index:label" strings per batch item', async () => {
  const r = await fetch(`${s.http}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { classification: 3 } }, { name: 'OUTPUT1' }],
    }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  const body = (await r.json()) as {
    outputs: Array<{ name: string; datatype: string; shape: number[]; data: unknown[] }>;
  };
  const out0 = body.outputs.find((o) => o.name === 'OUTPUT0')!;
  assert.equal(out0.datatype, 'BYTES');
  assert.deepEqual(out0.shape, [1, 3]);
  assert.deepEqual(out0.data, ['30:15:c15', '28:14:c14', '26:13:c13']);
  assert.equal(body.outputs.find((o) => o.name === 'OUTPUT1')!.datatype, 'INT32');
});

test('gRPC: classification with batch 2; the server advertises the extension', async () => {
  const client = grpcClient(s.grpcPort);
  try {
    const r = await unary(client, 'ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [2, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [2, 16] },
      ],
      raw_input_contents: [
        raw('INT32', [...range(16), ...range(16).reverse()]),
        raw(
          'INT32',
          range(32).map(() => 0),
        ),
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { classification: { int64_param: 1 } } }],
    });
    assert.equal(r['outputs'][0].datatype, 'BYTES');
    assert.deepEqual(r['outputs'][0].shape, [2, 1]);
    assert.deepEqual(values('BYTES', r['raw_output_contents'][0]), ['15:15:c15', '15:0:c0']);
    const md = await unary(client, 'ServerMetadata', {});
    assert.ok(md['extensions'].includes('classification'));
  } finally {
    client.close();
  }
});

test('classification of a string output is a clear 400', async () => {
  const strRepo = await tempRepository(['simple_string']);
  const s2 = await startServer([], strRepo.path);
  try {
    const r = await fetch(`${s2.http}/v2/models/simple_string/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'BYTES', data: range(16).map(String) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'BYTES', data: range(16).map(String) },
        ],
        outputs: [{ name: 'OUTPUT0', parameters: { classification: 2 } }],
      }),
    });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /classification is not supported for output 'OUTPUT0'/);
  } finally {
    await s2.close();
    await strRepo.remove();
  }
});
