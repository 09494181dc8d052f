import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { createHttpFrontend, type HttpFrontend } from './http-server.js';

const logger = pino({ level: 'silent' });

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request through node:http, for what fetch cannot do (no content-type, odd headers). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Builds a binary-extension body. */
function binaryBody(header: unknown, chunks: Uint8Array[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...chunks]), headerLength: json.byteLength };
}

const GOOD_JSON = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [3], datatype: 'FP32', data: [1, 2.5, -3] }] });

describe('HTTP frontend over a fake core', () => {
  const core = new FakeCore();
  let http: HttpFrontend;
  let base = '';
  let port = 0;

  before(async () => {
    http = createHttpFrontend(core, { logger, bodyLimitBytes: 64 * 1024 * 1024 });
    port = await http.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await http.close();
  });

  /** After every bad case, a good request must still succeed. */
  async function assertStillWorks(): Promise<void> {
    const res = await fetch(`${base}/v2/models/identity/infer`, { method: 'POST', body: GOOD_JSON });
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { outputs: Array<{ data: number[] }> };
    assert.deepEqual(doc.outputs[0]!.data, [1, 2.5, -3]);
  }

  async function expectError(res: Response, status: number, substring: string): Promise<void> {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const doc = (await res.json()) as { error: string };
    assert.equal(typeof doc.error, 'string');
    assert.ok(doc.error.includes(substring), `'${doc.error}' lacks '${substring}'`);
    await assertStillWorks();
  }

  test('health: 200 with empty body, 400 when not live/ready', async () => {
    for (const path of ['/v2/health/live', '/v2/health/ready', '/v2/health/live?unknown=1']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 200);
      assert.equal((await res.arrayBuffer()).byteLength, 0);
    }
    core.ready = false;
    core.live = false;
    try {
      for (const path of ['/v2/health/live', '/v2/health/ready']) {
        const res = await fetch(base + path);
        assert.equal(res.status, 400);
        assert.equal((await res.arrayBuffer()).byteLength, 0);
      }
    } finally {
      core.ready = true;
      core.live = true;
    }
  });

  test('server and model metadata, readiness, config, statistics', async () => {
    assert.deepEqual(await (await fetch(`${base}/v2`)).json(), core.serverMetadata());
    const meta = (await (await fetch(`${base}/v2/models/identity`)).json()) as { name: string; inputs: unknown[] };
    assert.equal(meta.name, 'identity');
    assert.equal((await fetch(`${base}/v2/models/identity/versions/1`)).status, 200);
    assert.equal((await fetch(`${base}/v2/models/identity/ready`)).status, 200);
    assert.equal((await fetch(`${base}/v2/models/identity/versions/1/ready`)).status, 200);
    await expectError(await fetch(`${base}/v2/models/identity/versions/2/ready`), 400, 'not ready');
    await expectError(await fetch(`${base}/v2/models/nope`), 404, "'nope'");
    await expectError(await fetch(`${base}/v2/models/identity/versions/abc`), 404, 'version');
    const config = (await (await fetch(`${base}/v2/models/identity/config`)).json()) as Record<string, unknown>;
    assert.equal(config['name'], 'identity');
    assert.ok(Array.isArray(config['input']));
    const stats = (await (await fetch(`${base}/v2/models/identity/stats`)).json()) as {
      model_stats: Array<{ name: string }>;
    };
    assert.deepEqual(
      stats.model_stats.map((s) => s.name),
      ['identity'],
    );
    const all = (await (await fetch(`${base}/v2/models/stats`)).json()) as { model_stats: Array<{ name: string }> };
    assert.deepEqual(
      all.model_stats.map((s) => s.name),
      ['identity', 'other'],
    );
    const versioned = (await (await fetch(`${base}/v2/models/identity/versions/1/stats`)).json()) as {
      model_stats: Array<{ version: string }>;
    };
    assert.equal(versioned.model_stats[0]!.version, '1');
  });

  test('JSON infer: request reaches the core as expected, response is JSON', async () => {
    const res = await fetch(`${base}/v2/models/identity/versions/1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'abc',
        parameters: { priority: 1 },
        inputs: [
          {
            name: 'INPUT0',
            shape: [2, 2],
            datatype: 'INT32',
            data: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.headers.get('inference-header-content-length'), null);
    assert.deepEqual(await res.json(), {
      id: 'abc',
      model_name: 'identity',
      model_version: '1',
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [2, 2], data: [1, 2, 3, 4] }],
    });
    assert.equal(core.lastRequest?.modelVersion, '1');
    assert.deepEqual(core.lastRequest?.parameters, { priority: 1 });
    assert.equal(core.lastContext?.protocol, 'http');
    assert.equal(core.lastContext?.allowDecoupled, false);
  });

  test('binary infer both ways, large FP32 tensor, no content-type', async () => {
    const n = 1 << 20;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = i * 0.5;
    const rawIn = new Uint8Array(values.buffer);
    const { body, headerLength } = binaryBody(
      {
        inputs: [{ name: 'INPUT0', shape: [n], datatype: 'FP32', parameters: { binary_data_size: rawIn.byteLength } }],
        outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
      },
      [rawIn],
    );
    const res = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      {
        'inference-header-content-length': headerLength,
        'content-length': body.byteLength,
      },
      body,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    const jsonLength = Number(res.headers['inference-header-content-length']);
    const doc = JSON.parse(res.body.subarray(0, jsonLength).toString()) as {
      outputs: Array<{ name: string; parameters: { binary_data_size: number } }>;
    };
    assert.equal(doc.outputs[0]!.parameters.binary_data_size, rawIn.byteLength);
    assert.ok(res.body.subarray(jsonLength).equals(Buffer.from(rawIn)));
    await assertStillWorks();
  });

  test('raw binary request (Inference-Header-Content-Length: 0) returns every output as binary', async () => {
    const rawIn = Buffer.from(new Float32Array([1, 2, 3]).buffer);
    const res = await raw(port, 'POST', '/v2/models/identity/infer', { 'inference-header-content-length': 0 }, rawIn);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    const jsonLength = Number(res.headers['inference-header-content-length']);
    const doc = JSON.parse(res.body.subarray(0, jsonLength).toString()) as { outputs: Array<Record<string, unknown>> };
    assert.deepEqual(doc.outputs[0], {
      name: 'OUTPUT0',
      datatype: 'FP32',
      shape: [3],
      parameters: { binary_data_size: 12 },
    });
    assert.ok(res.body.subarray(jsonLength).equals(rawIn));
    const bad = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'inference-header-content-length': 0 },
      Buffer.alloc(5),
    );
    assert.equal(bad.status, 400);
    await assertStillWorks();
  });

  test('binary_data_output with mixed JSON and binary inputs', async () => {
    const bytesIn = Buffer.from([3, 0, 0, 0, 0x61, 0x62, 0x63]);
    const { body, headerLength } = binaryBody(
      {
        parameters: { binary_data_output: true },
        inputs: [
          { name: 'INPUT0', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: bytesIn.byteLength } },
          { name: 'INPUT1', shape: [2], datatype: 'BOOL', data: [true, false] },
        ],
        outputs: [{ name: 'OUTPUT0' }, { name: 'OUTPUT1', parameters: { binary_data: false } }],
      },
      [bytesIn],
    );
    const res = await fetch(`${base}/v2/models/identity/infer`, {
      method: 'POST',
      headers: { 'inference-header-content-length': String(headerLength), 'content-type': 'application/octet-stream' },
      body,
    });
    assert.equal(res.status, 200);
    const buf = Buffer.from(await res.arrayBuffer());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const doc = JSON.parse(buf.subarray(0, jsonLength).toString()) as { outputs: Array<Record<string, unknown>> };
    assert.deepEqual(doc.outputs[0], {
      name: 'OUTPUT0',
      datatype: 'BYTES',
      shape: [1],
      parameters: { binary_data_size: 7 },
    });
    assert.deepEqual(doc.outputs[1], { name: 'OUTPUT1', datatype: 'BOOL', shape: [2], data: [true, false] });
    assert.ok(buf.subarray(jsonLength).equals(bytesIn));
  });

  test('gzip / deflate request bodies and compressed responses on Accept-Encoding', async () => {
    const gz = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'content-encoding': 'gzip' },
      gzipSync(GOOD_JSON),
    );
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], undefined);
    assert.match(gz.body.toString(), /"data":\[1,2.5,-3\]/);

    const gzOut = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'accept-encoding': 'gzip' },
      Buffer.from(GOOD_JSON),
    );
    assert.equal(gzOut.headers['content-encoding'], 'gzip');
    assert.match(gunzipSync(gzOut.body).toString(), /"data":\[1,2.5,-3\]/);

    const defl = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'content-encoding': 'deflate', 'accept-encoding': 'br, deflate' },
      deflateSync(GOOD_JSON),
    );
    assert.equal(defl.headers['content-encoding'], 'deflate');
    assert.match(inflateSync(defl.body).toString(), /"data":\[1,2.5,-3\]/);

    const br = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'accept-encoding': 'br' },
      Buffer.from(GOOD_JSON),
    );
    assert.equal(br.headers['content-encoding'], undefined);

    const bad = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'content-encoding': 'gzip' },
      Buffer.from('nope'),
    );
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body.toString()).error as string, /decompress/);
    const unknown = await raw(
      port,
      'POST',
      '/v2/models/identity/infer',
      { 'content-encoding': 'br' },
      Buffer.from(GOOD_JSON),
    );
    assert.equal(unknown.status, 415);
    assert.equal(unknown.headers['accept-encoding'], 'gzip, deflate');
    await assertStillWorks();
  });

  test('malformed binary header length and sizes', async () => {
    const post = (headers: Record<string, string | number>, body: Buffer) =>
      raw(port, 'POST', '/v2/models/identity/infer', headers, body);
    const cases: Array<[Record<string, string | number>, Buffer, string]> = [
      [{ 'inference-header-content-length': 'abc' }, Buffer.from(GOOD_JSON), 'Inference-Header-Content-Length'],
      [{ 'inference-header-content-length': 99999 }, Buffer.from(GOOD_JSON), 'larger than the request body'],
      [{ 'inference-header-content-length': 5 }, Buffer.from(GOOD_JSON), 'position'],
      [
        { 'inference-header-content-length': GOOD_JSON.length },
        Buffer.from(GOOD_JSON + 'xx'),
        'unexpected additional input data',
      ],
    ];
    for (const [headers, body, substring] of cases) {
      const res = await post(headers, body);
      assert.equal(res.status, 400, substring);
      assert.ok((JSON.parse(res.body.toString()).error as string).includes(substring), substring);
      await assertStillWorks();
    }
  });

  test('error mapping from the core and from the body', async () => {
    const infer = (model: string, body = GOOD_JSON) =>
      fetch(`${base}/v2/models/${model}/infer`, { method: 'POST', body });
    await expectError(await infer('nope'), 404, "'nope'");
    await expectError(await infer('decoupled'), 501, 'decoupled');
    await expectError(await infer('busy'), 429, 'queue is full');
    await expectError(await infer('crash'), 500, 'backend exploded');
    await expectError(await infer('identity', '{"inputs": [}'), 400, 'position 12');
    await expectError(await infer('identity', ''), 400, 'body is empty');
    await expectError(
      await infer('identity', '{"inputs":[{"name":"INPUT0","shape":[2],"datatype":"FP32","data":[1]}]}'),
      400,
      "has 2 element(s) but 'data' has 1",
    );
  });

  test('unknown routes 404, wrong methods 405, both with {"error"}', async () => {
    await expectError(await fetch(`${base}/v3/nothing`), 404, 'Not Found');
    await expectError(await fetch(`${base}/v2/models/identity/bogus`), 404, 'Not Found');
    const wrong = await fetch(`${base}/v2/models/identity/infer`);
    assert.equal(wrong.headers.get('allow'), 'POST');
    await expectError(wrong, 405, 'Method Not Allowed');
    await expectError(await fetch(`${base}/v2/health/live`, { method: 'POST' }), 405, 'Method Not Allowed');
    await expectError(await fetch(`${base}/v2/repository/index`, { method: 'DELETE' }), 405, 'Method Not Allowed');
  });

  test('repository index, load, unload', async () => {
    const idx = await fetch(`${base}/v2/repository/index`, { method: 'POST' });
    assert.equal(idx.status, 200);
    assert.deepEqual(await idx.json(), [{ name: 'identity', version: '1', state: 'READY', reason: '' }]);
    await fetch(`${base}/v2/repository/index`, { method: 'POST', body: '{"ready": true}' });
    assert.deepEqual(core.indexCalls, [false, true]);
    await expectError(
      await fetch(`${base}/v2/repository/index`, { method: 'POST', body: '{"ready": 1}' }),
      400,
      "'ready'",
    );

    const load = await fetch(`${base}/v2/repository/models/identity/load`, {
      method: 'POST',
      body: JSON.stringify({ parameters: { config: '{"max_batch_size": 4}' } }),
    });
    assert.equal(load.status, 200);
    assert.equal((await load.arrayBuffer()).byteLength, 0);
    assert.equal((await fetch(`${base}/v2/repository/models/other/load`, { method: 'POST' })).status, 200);
    assert.deepEqual(core.loads, [
      { name: 'identity', options: { config: '{"max_batch_size": 4}' } },
      { name: 'other', options: {} },
    ]);
    await expectError(
      await fetch(`${base}/v2/repository/models/identity/load`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { 'file:1/model.onnx': 'AAAA' } }),
      }),
      501,
      'file:',
    );
    await expectError(
      await fetch(`${base}/v2/repository/models/identity/load`, {
        method: 'POST',
        body: '{"parameters": {"config": {}}}',
      }),
      400,
      "'config' must be a string",
    );

    const unload = await fetch(`${base}/v2/repository/models/identity/unload`, {
      method: 'POST',
      body: JSON.stringify({ parameters: { unload_dependents: true } }),
    });
    assert.equal(unload.status, 200);
    assert.deepEqual(core.unloads, [{ name: 'identity', options: { unloadDependents: true } }]);
    await expectError(
      await fetch(`${base}/v2/repository/models/identity/unload`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { unload_dependent: true } }),
      }),
      400,
      "unload model request: unknown parameter 'unload_dependent' (supported: 'unload_dependents')",
    );
    assert.equal(core.unloads.length, 1);
    // A misspelt body key used to be ignored: the load went on without its config override.
    const loadsBefore = core.loads.length;
    await expectError(
      await fetch(`${base}/v2/repository/models/identity/load`, {
        method: 'POST',
        body: JSON.stringify({ paramters: { config: '{}' } }),
      }),
      400,
      "load model request: unknown key 'paramters' (supported: 'parameters')",
    );
    assert.equal(core.loads.length, loadsBefore);
    await expectError(
      await fetch(`${base}/v2/repository/index`, { method: 'POST', body: JSON.stringify({ readyOnly: true }) }),
      400,
      "repository index request: unknown key 'readyOnly' (supported: 'ready')",
    );
    await expectError(await fetch(`${base}/v2/repository/myrepo/index`, { method: 'POST' }), 501, 'repository_name');
  });

  test('client disconnect aborts the core request', { timeout: 30_000 }, async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/slow/infer' });
      req.on('error', () => resolve());
      req.end(GOOD_JSON, () => setImmediate(() => req.destroy()));
      req.on('close', () => resolve());
    });
    await core.cancelled;
    assert.equal(core.lastContext?.signal.aborted, true);
    await assertStillWorks();
  });
});

describe('body limit', () => {
  test('oversize bodies get 413 with {"error"}, also after decompression', async () => {
    const http = createHttpFrontend(new FakeCore(), { logger, bodyLimitBytes: 1024 });
    const port = await http.listen(0, '127.0.0.1');
    try {
      const big = Buffer.alloc(4096, 0x20);
      const res = await raw(port, 'POST', '/v2/models/identity/infer', { 'content-length': big.byteLength }, big);
      assert.equal(res.status, 413);
      assert.match(JSON.parse(res.body.toString()).error as string, /limit of 1024 bytes/);

      const bomb = gzipSync(Buffer.alloc(100_000, 0x20));
      const res2 = await raw(port, 'POST', '/v2/models/identity/infer', { 'content-encoding': 'gzip' }, bomb);
      assert.equal(res2.status, 413);

      const ok = await raw(port, 'POST', '/v2/models/identity/infer', {}, Buffer.from(GOOD_JSON));
      assert.equal(ok.status, 200);
    } finally {
      await http.close();
    }
  });
});
