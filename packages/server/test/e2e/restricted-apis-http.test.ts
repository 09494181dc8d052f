/**
 * `--http-restricted-api` on the wire: each API group refuses requests without its header (or
 * with another value, or another group's header) with Triton's 403 and serves them with it; open
 * groups stay open; `inference` covers infer, generate, generate_stream and `/v1` (alone and with
 * `--openai-api-key`); the check comes before 405 and covers HEAD; CORS preflights allow the
 * header.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { InferenceClient, InferenceServerError, InferInput } from '@tensorgate/client';
import { writeEchoLlm } from '../helpers/llm-echo-model.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { range } from '../helpers/tensors.js';

/** Each group its own header and value, so a mix-up between groups would show. */
const GROUPS = [
  'health',
  'metadata',
  'inference',
  'shared-memory',
  'model-config',
  'model-repository',
  'statistics',
  'logging',
  'trace',
];
const headerOf = (group: string): string => `x-${group}-key`;
const secretOf = (group: string): string => `${group}-s3cret`;
const withHeader = (group: string): Record<string, string> => ({ [headerOf(group)]: secretOf(group) });
const refusal = (header: string): string => `This API is restricted, expecting header '${header}'`;

const INFER_BODY = JSON.stringify({
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: range(16) },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: range(16) },
  ],
});

/** One endpoint per group, and the status it answers when allowed. */
interface Probe {
  readonly group: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly served: number;
}

const PROBES: readonly Probe[] = [
  { group: 'health', method: 'GET', path: '/v2/health/live', served: 200 },
  { group: 'health', method: 'GET', path: '/v2/models/simple/ready', served: 200 },
  { group: 'metadata', method: 'GET', path: '/v2', served: 200 },
  { group: 'metadata', method: 'GET', path: '/v2/models/simple', served: 200 },
  { group: 'inference', method: 'POST', path: '/v2/models/simple/infer', body: INFER_BODY, served: 200 },
  { group: 'inference', method: 'POST', path: '/v2/models/echo/generate', body: '{"text_input":"hi"}', served: 200 },
  {
    group: 'inference',
    method: 'POST',
    path: '/v2/models/echo/generate_stream',
    body: '{"text_input":"hi"}',
    served: 200,
  },
  { group: 'inference', method: 'GET', path: '/v1/models', served: 200 },
  {
    group: 'inference',
    method: 'POST',
    path: '/v1/chat/completions',
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    served: 200,
  },
  { group: 'inference', method: 'POST', path: '/v1/completions', body: '{"model":"echo","prompt":"hi"}', served: 200 },
  { group: 'shared-memory', method: 'GET', path: '/v2/systemsharedmemory/status', served: 200 },
  { group: 'shared-memory', method: 'POST', path: '/v2/cudasharedmemory/register', body: '{}', served: 501 },
  { group: 'model-config', method: 'GET', path: '/v2/models/simple/config', served: 200 },
  { group: 'model-repository', method: 'POST', path: '/v2/repository/index', body: '{}', served: 200 },
  { group: 'model-repository', method: 'POST', path: '/v2/repository/models/simple/load', body: '{}', served: 200 },
  { group: 'statistics', method: 'GET', path: '/v2/models/stats', served: 200 },
  { group: 'statistics', method: 'GET', path: '/v2/models/simple/stats', served: 200 },
  { group: 'logging', method: 'GET', path: '/v2/logging', served: 200 },
  { group: 'logging', method: 'POST', path: '/v2/logging', body: '{"log_verbose_level":0}', served: 200 },
  { group: 'trace', method: 'GET', path: '/v2/trace/setting', served: 200 },
  { group: 'trace', method: 'POST', path: '/v2/trace/setting', body: '{"trace_rate":"1000"}', served: 200 },
  { group: 'trace', method: 'GET', path: '/v2/models/simple/trace/setting', served: 200 },
  {
    group: 'trace',
    method: 'POST',
    path: '/v2/models/simple/trace/setting',
    body: '{"trace_count":null}',
    served: 200,
  },
];

function call(base: string, probe: Pick<Probe, 'method' | 'path' | 'body'>, headers: Record<string, string> = {}) {
  return fetch(`${base}${probe.path}`, { method: probe.method, headers, ...(probe.body ? { body: probe.body } : {}) });
}

/** Triton's 403 `{"error": "..."}`; on `/v1` the same message in OpenAI's error shape. */
async function expectRefused(response: Response, header: string, what: string): Promise<void> {
  assert.equal(response.status, 403, what);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, what);
  const body = (await response.json()) as { error: unknown };
  if (new URL(response.url).pathname.startsWith('/v1/')) {
    assert.equal((body.error as { message: string }).message, refusal(header), what);
  } else {
    assert.deepEqual(body, { error: refusal(header) }, what);
  }
}

let repo: Awaited<ReturnType<typeof tempRepository>>;
before(async () => {
  repo = await tempRepository(['simple']);
  await writeEchoLlm(repo.path, 'echo');
});
after(() => repo.remove());

describe('every group restricted, each with its own header', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      [
        ...GROUPS.flatMap((g) => ['--http-restricted-api', `${g}:${headerOf(g)}=${secretOf(g)}`]),
        ...['--model-control-mode', 'explicit', '--load-model', '*', '--http-cors-origin', '*'],
      ],
      repo.path,
    );
  });
  after(() => s.close());

  test("without the header: 403 and Triton's body, for every endpoint of every group", async () => {
    for (const probe of PROBES) {
      await expectRefused(await call(s.http, probe), headerOf(probe.group), `${probe.method} ${probe.path}`);
    }
  });

  test('a wrong value, the right value of another group, or the header twice: still 403', async () => {
    for (const probe of PROBES) {
      const what = `${probe.method} ${probe.path}`;
      const header = headerOf(probe.group);
      await expectRefused(await call(s.http, probe, { [header]: 'wrong' }), header, what);
      await expectRefused(await call(s.http, probe, { [header]: `${secretOf(probe.group)}x` }), header, what);
      const other = probe.group === 'health' ? 'metadata' : 'health';
      await expectRefused(await call(s.http, probe, withHeader(other)), header, what);
    }
    const twice = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${s.http}/v2/health/live`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.setHeader(headerOf('health'), [secretOf('health'), secretOf('health')]);
      req.on('error', reject);
      req.end();
    });
    assert.equal(twice, 403);
  });

  test('with its header (any case of the name): served', async () => {
    for (const probe of PROBES) {
      const r = await call(s.http, probe, { [headerOf(probe.group).toUpperCase()]: secretOf(probe.group) });
      assert.equal(r.status, probe.served, `${probe.method} ${probe.path}: ${await r.text()}`);
    }
    const unload = await call(s.http, { method: 'POST', path: '/v2/repository/models/simple/unload', body: '{}' });
    await expectRefused(unload, headerOf('model-repository'), 'unload');
  });

  test('the check comes before 405 (as in Triton) and covers HEAD', async () => {
    const put = await fetch(`${s.http}/v2/repository/index`, { method: 'PUT' });
    await expectRefused(put, headerOf('model-repository'), 'PUT');
    const allowed = await fetch(`${s.http}/v2/repository/index`, {
      method: 'PUT',
      headers: withHeader('model-repository'),
    });
    assert.equal(allowed.status, 405);
    assert.equal((await fetch(`${s.http}/v2/health/ready`, { method: 'HEAD' })).status, 403);
    assert.equal(
      (await fetch(`${s.http}/v2/health/ready`, { method: 'HEAD', headers: withHeader('health') })).status,
      200,
    );
  });

  test('unknown paths stay 404, and CORS preflights allow the restricted headers', async () => {
    assert.equal((await fetch(`${s.http}/v2/nothing-here`)).status, 404);
    const preflight = await fetch(`${s.http}/v2/repository/index`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': `content-type,${headerOf('model-repository')}`,
      },
    });
    assert.equal(preflight.status, 204);
    const allowedHeaders = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    for (const g of GROUPS)
      assert.ok(allowedHeaders.includes(headerOf(g)), `${headerOf(g)} in ${allowedHeaders.join(',')}`);
    // A refused request still carries the CORS headers, so the page can read the error.
    const refused = await fetch(`${s.http}/v2/logging`, { headers: { origin: 'https://app.example' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), '*');
  });
});

describe('inference and model-repository restricted, /v1 also behind --openai-api-key', () => {
  let s: TestServer;
  const key = { 'x-api-key': 'k-123' };
  before(async () => {
    s = await startServer(
      [
        ...['--http-restricted-api', 'inference,model-repository:x-api-key=k-123', '--openai-api-key', 'sk-test'],
        ...['--grpc-restricted-protocol', 'inference:x-api-key=k-123'],
      ],
      repo.path,
    );
  });
  after(() => s.close());

  test('the other groups stay open', async () => {
    for (const probe of PROBES.filter((p) => !['inference', 'model-repository'].includes(p.group))) {
      const r = await call(s.http, probe);
      assert.equal(r.status, probe.served, `${probe.method} ${probe.path}`);
    }
  });

  test('/v1 needs both: the header (403, OpenAI-shaped) and the API key (401)', async () => {
    const bearer = { authorization: 'Bearer sk-test' };
    const models = { method: 'GET', path: '/v1/models' };
    const noHeader = await call(s.http, models, bearer);
    assert.equal(noHeader.status, 403);
    await expectRefused(noHeader, 'x-api-key', 'GET /v1/models');
    assert.equal((await call(s.http, models, key)).status, 401);
    assert.equal((await call(s.http, models, { ...key, ...bearer })).status, 200);
  });

  test('infer and generate need the header; the repository shares it', async () => {
    for (const probe of PROBES.filter((p) => p.group === 'inference' && p.path.startsWith('/v2'))) {
      await expectRefused(await call(s.http, probe), 'x-api-key', probe.path);
      assert.equal((await call(s.http, probe, key)).status, probe.served, probe.path);
    }
    const index = { method: 'POST', path: '/v2/repository/index', body: '{}' };
    await expectRefused(await call(s.http, index), 'x-api-key', 'index');
    assert.equal((await call(s.http, index, key)).status, 200);
  });

  test("a client's headers option carries the header (HTTP header, gRPC metadata), as tritonclient's headers=", async () => {
    const inputs = [
      new InferInput('INPUT0', [1, 16], 'INT32').setData(Int32Array.from(range(16))),
      new InferInput('INPUT1', [1, 16], 'INT32').setData(Int32Array.from(range(16))),
    ];
    const clients = [
      [InferenceClient.http(s.http), InferenceClient.http(s.http, { headers: key })],
      [
        InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`),
        InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`, { headers: { 'triton-grpc-protocol-x-api-key': 'k-123' } }),
      ],
    ] as const;
    try {
      for (const [without, withKey] of clients) {
        await assert.rejects(without.infer('simple', inputs), (e: unknown) => {
          assert.ok(e instanceof InferenceServerError, String(e));
          assert.match(e.message, /restricted, expecting header '(triton-grpc-protocol-)?x-api-key'/);
          return true;
        });
        const result = await withKey.infer('simple', inputs);
        assert.deepEqual(
          result.asArray('OUTPUT0'),
          range(16).map((v) => 2 * v),
        );
        // Groups left open stay open to the same client.
        assert.equal(await without.isServerLive(), true);
      }
    } finally {
      for (const pair of clients) for (const c of pair) c.close();
    }
  });
});
