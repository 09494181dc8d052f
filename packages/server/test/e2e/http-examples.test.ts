/**
 * Wire-level HTTP tests against a real server serving the bundled example repository.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { range, raw, values } from '../helpers/tensors.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });

const simpleBody = (a: number[], b: number[]) => ({
  inputs: [
    { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
    { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: b },
  ],
});

async function assertStillServing(): Promise<void> {
  const r = await post('/v2/models/simple/infer', simpleBody(range(16), range(16)));
  assert.equal(r.status, 200);
}

describe('HTTP: server and model APIs', () => {
  test('health, server metadata', async () => {
    assert.equal((await fetch(`${s.http}/v2/health/live`)).status, 200);
    assert.equal((await fetch(`${s.http}/v2/health/ready`)).status, 200);
    const md = (await (await fetch(`${s.http}/v2`)).json()) as { name: string; extensions: string[] };
    assert.equal(md.name, 'tensorgate');
    assert.ok(md.extensions.includes('binary_tensor_data'));
  });

  test('model metadata, readiness, config, versions', async () => {
    const md = (await (await fetch(`${s.http}/v2/models/simple`)).json()) as Record<string, any>;
    assert.equal(md['name'], 'simple');
    assert.deepEqual(md['versions'], ['1']);
    assert.deepEqual(md['inputs'][0], { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] });
    assert.equal((await fetch(`${s.http}/v2/models/simple/versions/1`)).status, 200);
    assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
    assert.equal((await fetch(`${s.http}/v2/models/simple/versions/7/ready`)).status, 400);
    const cfg = (await (await fetch(`${s.http}/v2/models/simple/config`)).json()) as Record<string, any>;
    assert.equal(cfg['name'], 'simple');
    assert.equal(cfg['max_batch_size'], 8);
    assert.equal(cfg['input'][0]['data_type'], 'TYPE_INT32');
    assert.deepEqual(cfg['input'][0]['dims'], [16]);
  });

  test('unknown model → 404 with a clear message', async () => {
    const r = await fetch(`${s.http}/v2/models/nope`);
    assert.equal(r.status, 404);
    assert.match(((await r.json()) as { error: string }).error, /nope/);
  });

  test('repository index lists every example READY', async () => {
    const r = await post('/v2/repository/index', {});
    const rows = (await r.json()) as Array<{ name: string; state: string }>;
    for (const m of ['simple', 'simple_string', 'identity_fp32', 'repeat_int32', 'sleep_ms', 'moving_average']) {
      assert.equal(rows.find((x) => x.name === m)?.state, 'READY', `${m} should be READY`);
    }
  });

  test('load/unload are refused outside explicit mode', async () => {
    const r = await post('/v2/repository/models/simple/unload', {});
    assert.equal(r.status, 501);
    assert.match(((await r.json()) as { error: string }).error, /explicit/);
    await assertStillServing();
  });
});

describe('HTTP: inference on the examples', () => {
  test('simple: JSON in, JSON out', async () => {
    const r = await post('/v2/models/simple/infer', { id: 'req-1', ...simpleBody(range(16), range(16, 1)) });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Record<string, any>;
    assert.equal(body['id'], 'req-1');
    assert.equal(body['model_name'], 'simple');
    const out = Object.fromEntries(body['outputs'].map((o: any) => [o.name, o]));
    assert.deepEqual(
      out['OUTPUT0'].data,
      range(16).map((i) => 2 * i + 1),
    );
    assert.deepEqual(
      out['OUTPUT1'].data,
      range(16).map(() => -1),
    );
    assert.deepEqual(out['OUTPUT0'].shape, [1, 16]);
  });

  test('simple: binary in and out, batch 2, gzip request body', async () => {
    const a = raw('INT32', range(32));
    const b = raw(
      'INT32',
      range(32).map(() => 1),
    );
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [2, 16], datatype: 'INT32', parameters: { binary_data_size: a.length } },
          { name: 'INPUT1', shape: [2, 16], datatype: 'INT32', parameters: { binary_data_size: b.length } },
        ],
        outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
      }),
    );
    const body = gzipSync(Buffer.concat([header, a, b]));
    const r = await post('/v2/models/simple/infer', body, {
      'inference-header-content-length': String(header.length),
      'content-encoding': 'gzip',
      'content-type': 'application/octet-stream',
    });
    assert.equal(r.status, 200, await r.clone().text());
    const buf = Buffer.from(await r.arrayBuffer());
    const hlen = Number(r.headers.get('inference-header-content-length'));
    const json = JSON.parse(buf.subarray(0, hlen).toString()) as Record<string, any>;
    assert.equal(json['outputs'].length, 1);
    assert.equal(json['outputs'][0].parameters.binary_data_size, 128);
    assert.deepEqual(
      values('INT32', buf.subarray(hlen)),
      range(32).map((i) => i + 1),
    );
  });

  test('simple_string: BYTES tensors of decimal text', async () => {
    const r = await post('/v2/models/simple_string/infer', {
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'BYTES', data: range(16).map(String) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'BYTES', data: range(16).map(() => '1') },
      ],
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Record<string, any>;
    const out0 = body['outputs'].find((o: any) => o.name === 'OUTPUT0');
    assert.equal(out0.datatype, 'BYTES');
    assert.deepEqual(
      out0.data,
      range(16).map((i) => String(i + 1)),
    );
  });

  test('identity_fp32: a 19 MB tensor comes back bit-exact (binary both ways)', async () => {
    const n = (19 * 1024 * 1024) / 4;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 1e6;
    const bytes = Buffer.from(data.buffer);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'INPUT0', shape: [n], datatype: 'FP32', parameters: { binary_data_size: bytes.length } }],
        outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
      }),
    );
    const r = await post('/v2/models/identity_fp32/infer', Buffer.concat([header, bytes]), {
      'inference-header-content-length': String(header.length),
    });
    assert.equal(r.status, 200);
    const buf = Buffer.from(await r.arrayBuffer());
    const hlen = Number(r.headers.get('inference-header-content-length'));
    assert.ok(buf.subarray(hlen).equals(bytes));
  });

  test('repeat_int32 (decoupled) is rejected on /infer with a clear message', async () => {
    const r = await post('/v2/models/repeat_int32/infer', {
      inputs: [
        { name: 'IN', shape: [2], datatype: 'INT32', data: [1, 2] },
        { name: 'DELAY', shape: [2], datatype: 'UINT32', data: [0, 0] },
        { name: 'WAIT', shape: [1], datatype: 'UINT32', data: [0] },
      ],
    });
    assert.ok(r.status >= 400 && r.status < 600);
    assert.match(((await r.json()) as { error: string }).error, /decoupled/);
    await assertStillServing();
  });

  test('moving_average', async () => {
    const r = await post('/v2/models/moving_average/infer', {
      inputs: [
        { name: 'INPUT', shape: [5], datatype: 'FP32', data: [1, 2, 3, 4, 5] },
        { name: 'WINDOW', shape: [1], datatype: 'INT32', data: [2] },
      ],
    });
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as Record<string, any>;
    assert.deepEqual(body['outputs'][0].data, [1.5, 2.5, 3.5, 4.5]);
  });

  test('statistics count successes and failures', async () => {
    const before = (await (await fetch(`${s.http}/v2/models/simple/stats`)).json()) as Record<string, any>;
    const n0 = before['model_stats'][0].inference_stats.success.count as number;
    await assertStillServing();
    const after = (await (await fetch(`${s.http}/v2/models/simple/stats`)).json()) as Record<string, any>;
    const st = after['model_stats'][0];
    assert.equal(st.inference_stats.success.count, n0 + 1);
    assert.ok(st.execution_count >= 1);
    assert.ok(st.inference_stats.compute_infer.ns > 0);
    assert.ok(st.batch_stats.length >= 1);
  });
});

const BINARY_SHORT = Buffer.concat([
  Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } }],
    }),
  ),
  Buffer.alloc(8),
]);

describe('HTTP: malformed requests get a clear error and the server keeps serving', () => {
  const cases: Array<[string, string, string | Uint8Array | object, number, RegExp, Record<string, string>?]> = [
    ['garbage JSON', '/v2/models/simple/infer', '{"inputs": [', 400, /JSON|json|parse/i],
    ['unknown model', '/v2/models/nope/infer', simpleBody(range(16), range(16)), 404, /nope/],
    ['unknown version', '/v2/models/simple/versions/9/infer', simpleBody(range(16), range(16)), 404, /version 9/],
    [
      'wrong shape',
      '/v2/models/simple/infer',
      {
        inputs: [
          { name: 'INPUT0', shape: [1, 15], datatype: 'INT32', data: range(15) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
        ],
      },
      400,
      /unexpected shape for input 'INPUT0'/,
    ],
    [
      'wrong datatype',
      '/v2/models/simple/infer',
      {
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'FP32', data: range(16) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
        ],
      },
      400,
      /data-type is 'FP32'/,
    ],
    [
      'data count mismatch',
      '/v2/models/simple/infer',
      {
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(3) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
        ],
      },
      400,
      /INPUT0/,
    ],
    [
      'unknown datatype',
      '/v2/models/simple/infer',
      { inputs: [{ name: 'INPUT0', shape: [1, 16], datatype: 'INT33', data: range(16) }] },
      400,
      /INT33/,
    ],
    [
      'unknown output',
      '/v2/models/simple/infer',
      { ...simpleBody(range(16), range(16)), outputs: [{ name: 'NOPE' }] },
      400,
      /unexpected inference output 'NOPE'/,
    ],
    [
      'binary size past the body',
      '/v2/models/simple/infer',
      BINARY_SHORT,
      400,
      /binary|size|byte/i,
      { 'inference-header-content-length': String(BINARY_SHORT.length - 8) },
    ],
    [
      'header length past the body',
      '/v2/models/simple/infer',
      '{"inputs": []}',
      400,
      /Inference-Header-Content-Length|header/i,
      { 'inference-header-content-length': '500' },
    ],
    [
      'bad gzip',
      '/v2/models/simple/infer',
      'not gzip at all',
      400,
      /gzip|compress|decod/i,
      { 'content-encoding': 'gzip' },
    ],
  ];
  for (const [name, path, body, status, re, headers] of cases) {
    test(name, async () => {
      const r = await post(path, body, headers ?? {});
      assert.equal(r.status, status);
      const text = await r.text();
      const err = (JSON.parse(text) as { error: string }).error;
      assert.match(err, re);
      await assertStillServing();
    });
  }
});
