/**
 * Async jobs through `tensorgate gateway` (docs/gateway.md#async-jobs): a route with `jobs: true`
 * serves `<path>/jobs` on the server's job API: the route's JSON is mapped to tensors and queued,
 * the status carries the route's shaped reply once the job succeeded, cancel works, and the
 * server's answers (404, 400 for a missing client header, 429 with Retry-After) come through;
 * `forwardHeaders` passes the client header on to the server's per-client quota.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from 'tensorgate';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

describe('gateway job routes', () => {
  let repo: Awaited<ReturnType<typeof tempRepository>>;
  let server: TestServer;
  let gw: RunningGateway;
  let dir: string;
  let base: string;
  const tenant = (t: string): Record<string, string> => ({ 'x-tenant': t, 'content-type': 'application/json' });

  before(async () => {
    repo = await tempRepository(['simple', 'sleep_ms']);
    server = await startServer(
      ['--jobs-client-header', 'x-tenant', '--jobs-max-per-client', '2', '--jobs-concurrency', '2'],
      repo.path,
    );
    dir = await mkdtemp(join(tmpdir(), 'tensorgate-gw-jobs-'));
    const routes = join(dir, 'routes.yaml');
    await writeFile(
      routes,
      `
upstreams: ["127.0.0.1:${server.grpcPort}"]
jobs: { upstream: "${server.http}", forwardHeaders: [x-tenant] }
routes:
  - path: /add
    model: simple
    jobs: true
    inputs:
      INPUT0: { from: "$.a", datatype: INT32, shape: [1, 16] }
      INPUT1: { from: "$.b", datatype: INT32, shape: [1, 16] }
    outputs: { sum: OUTPUT0 }
  - path: /sleep
    model: sleep_ms
    jobs: true
    inputs:
      INPUT0: { from: "$.ms", datatype: UINT32, shape: [1] }
    outputs: { slept: OUTPUT0 }
`,
    );
    gw = await startGateway({ routes, port: 0, healthIntervalMs: 100 });
    base = gw.url;
  });
  after(async () => {
    await gw.close();
    await server.close();
    await repo.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown, headers: Record<string, string>) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), headers });
    return { status: res.status, headers: res.headers, doc: (await res.json()) as Record<string, unknown> };
  };
  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`${base}${path}`, { method, headers: { 'x-tenant': 'a' } });
    return { status: res.status, doc: (await res.json()) as Record<string, unknown> };
  };

  test("submit, poll and read the route's shaped reply", async () => {
    const a = Array.from({ length: 16 }, (_, i) => i);
    const res = await post('/add/jobs', { a, b: Array(16).fill(10) }, tenant('a'));
    assert.equal(res.status, 202);
    const id = res.doc['id'] as string;
    assert.equal(res.doc['status'], 'queued');
    assert.equal(res.headers.get('location'), `/add/jobs/${id}`);
    let doc: Record<string, unknown> = {};
    await eventually(async () => {
      doc = (await get(`/add/jobs/${id}`)).doc;
      return doc['status'] === 'succeeded';
    });
    assert.deepEqual(doc['result'], { sum: a.map((x) => x + 10) });
    assert.ok(typeof doc['finished_at'] === 'string');
  });

  test('cancel a running job; an unknown id is 404', async () => {
    const res = await post('/sleep/jobs', { ms: 60_000 }, tenant('c'));
    const id = res.doc['id'] as string;
    const cancelled = await get(`/sleep/jobs/${id}`, 'DELETE');
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.doc['status'], 'cancelled');
    assert.equal((await get('/sleep/jobs/no-such-job')).status, 404);
  });

  test("the server's refusals come through: missing client header 400, quota 429 with Retry-After", async () => {
    const noTenant = await post('/sleep/jobs', { ms: 1 }, { 'content-type': 'application/json' });
    assert.equal(noTenant.status, 400);
    assert.match(noTenant.doc['error'] as string, /x-tenant/);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await post('/sleep/jobs', { ms: 60_000 }, tenant('q'))).doc['id'] as string);
    const refused = await post('/sleep/jobs', { ms: 1 }, tenant('q'));
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const other = await post('/sleep/jobs', { ms: 1 }, tenant('other'));
    assert.equal(other.status, 202, 'the forwarded header gives each tenant its own quota');
    for (const id of ids) await get(`/sleep/jobs/${id}`, 'DELETE');
  });

  test('the OpenAPI document lists the job operations', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    assert.ok(doc.paths['/add/jobs']?.['post']);
    assert.ok(doc.paths['/add/jobs/{id}']?.['get']);
    assert.ok(doc.paths['/add/jobs/{id}']?.['delete']);
  });

  test("a bad request body is the gateway's 400, before anything is queued", async () => {
    const res = await post('/add/jobs', { a: [1, 2] }, tenant('a'));
    assert.equal(res.status, 400);
  });
});
