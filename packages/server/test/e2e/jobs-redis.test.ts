/**
 * The async job API with `--jobs-store redis://...` on a real redis-server (docs/jobs.md): replicas
 * share one queue (a job submitted to one is read, cancelled and counted through another),
 * cancel reaches the replica running a job, per-client quotas hold across replicas, results
 * expire in Redis, and a replica killed with SIGKILL while running a job loses it to the other,
 * which runs it to completion (at least once: attempts 2), and a job survives the restart of the
 * only replica.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startReplica, stopReplica, type Replica } from '../helpers/replicas.js';
import { simpleBody, sleepBody, submit, jobDoc, waitStatus } from '../helpers/jobs.js';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let repo: { path: string; remove(): Promise<void> };
before(async () => {
  repo = await tempRepository(['simple', 'sleep_ms']);
});
after(async () => {
  await repo.remove();
});

describe('two servers on one Redis store', () => {
  let redis: TestRedis;
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    redis = await startRedis();
    const flags = [
      '--jobs-store',
      `redis://127.0.0.1:${redis.port}`,
      '--jobs-concurrency',
      '1',
      '--jobs-lock-secs',
      '2',
      '--jobs-client-header',
      'x-tenant',
      '--jobs-max-per-client',
      '2',
      '--jobs-result-ttl-secs',
      '3',
    ];
    a = await startServer(flags, repo.path);
    b = await startServer(flags, repo.path);
  });
  after(async () => {
    await a.close();
    await b.close();
    await redis.kill();
  });

  test('a job submitted to one server is read through the other', async () => {
    const res = await submit(a.http, 'simple', simpleBody(), { 'x-tenant': 'read' });
    assert.equal(res.status, 202);
    const id = res.doc['id'] as string;
    const doc = await waitStatus(b.http, 'simple', id);
    assert.equal(doc['status'], 'succeeded');
    const direct = await (
      await fetch(`${a.http}/v2/models/simple/infer`, { method: 'POST', body: simpleBody() })
    ).json();
    assert.deepEqual(doc['response'], direct);
    const result = await fetch(`${b.http}/v2/models/simple/jobs/${id}/result`);
    assert.deepEqual(await result.json(), direct);
  });

  test('cancel through either server: a queued job never runs, running jobs are cancelled where they run', async () => {
    const t = { 'x-tenant': 'cancel' };
    const t2 = { 'x-tenant': 'cancel2' };
    // Two long jobs occupy both servers' single workers; the third waits in the queue.
    const r1 = (await submit(a.http, 'sleep_ms', sleepBody(60_000), t)).doc['id'] as string;
    const r2 = (await submit(b.http, 'sleep_ms', sleepBody(60_000), t)).doc['id'] as string;
    await waitStatus(a.http, 'sleep_ms', r1, 'running');
    await waitStatus(a.http, 'sleep_ms', r2, 'running');
    const q = (await submit(a.http, 'sleep_ms', sleepBody(1), t2)).doc['id'] as string;
    const cancelledQueued = await jobDoc(b.http, 'sleep_ms', q, 'DELETE');
    assert.equal(cancelledQueued.doc['status'], 'cancelled');
    assert.equal(cancelledQueued.doc['attempts'], 0);
    // One of the two runs on b: its cancel travels from a over Redis pub/sub.
    for (const id of [r1, r2])
      assert.equal((await jobDoc(a.http, 'sleep_ms', id, 'DELETE')).doc['status'], 'cancelled');
    for (const id of [r1, r2]) {
      await eventually(async () => (await jobDoc(b.http, 'sleep_ms', id)).doc['finished_at'] !== undefined, 200, 100);
      const doc = (await jobDoc(b.http, 'sleep_ms', id)).doc;
      assert.equal(doc['status'], 'cancelled');
      assert.equal(doc['error_code'], 'CANCELLED');
    }
    // Both workers are free again (the sleeps stopped), and the cancelled queued job never started.
    const next = (await submit(b.http, 'sleep_ms', sleepBody(1), t2)).doc['id'] as string;
    assert.equal((await waitStatus(a.http, 'sleep_ms', next))['status'], 'succeeded');
    assert.equal((await jobDoc(a.http, 'sleep_ms', q)).doc['started_at'], undefined);
  });

  test("a client's quota counts its jobs on every server", async () => {
    const t = { 'x-tenant': 'quota' };
    const j1 = await submit(a.http, 'sleep_ms', sleepBody(60_000), t);
    const j2 = await submit(b.http, 'sleep_ms', sleepBody(60_000), t);
    assert.equal(j1.status, 202);
    assert.equal(j2.status, 202);
    const refused = await submit(a.http, 'sleep_ms', sleepBody(1), t);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.doc['error'] as string, /--jobs-max-per-client/);
    for (const j of [j1, j2]) await jobDoc(b.http, 'sleep_ms', j.doc['id'] as string, 'DELETE');
    for (const j of [j1, j2]) await waitStatus(a.http, 'sleep_ms', j.doc['id'] as string);
    assert.equal((await submit(b.http, 'sleep_ms', sleepBody(1), t)).status, 202, 'the quota is free again');
  });

  test('results expire in Redis after --jobs-result-ttl-secs', async () => {
    const res = await submit(a.http, 'simple', simpleBody(), { 'x-tenant': 'ttl' });
    const id = res.doc['id'] as string;
    await waitStatus(b.http, 'simple', id, 'succeeded');
    await eventually(async () => (await jobDoc(b.http, 'simple', id)).status === 404, 100, 100);
  });

  test("the gauges report the store's totals", async () => {
    const text = await (await fetch(b.metrics)).text();
    assert.match(text, /^tensorgate_jobs_queued 0$/m);
    assert.match(text, /^tensorgate_jobs_finished_total\{model="simple",status="succeeded"\} /m);
  });
});

describe('failover', () => {
  test('a replica killed with SIGKILL while running a job loses it to the other replica, which completes it', async () => {
    const redis = await startRedis();
    const args = [
      '--model-repository',
      repo.path,
      '--jobs-store',
      `redis://127.0.0.1:${redis.port}`,
      '--jobs-concurrency',
      '1',
      '--jobs-lock-secs',
      '1',
    ];
    const replicas: Replica[] = [];
    try {
      replicas.push(await startReplica(args), await startReplica(args));
      const res = await submit(replicas[0]!.http, 'sleep_ms', sleepBody(3000));
      assert.equal(res.status, 202);
      const id = res.doc['id'] as string;
      const running = await waitStatus(replicas[0]!.http, 'sleep_ms', id, 'running');
      const pid = Number(String(running['runner']).split(':').pop());
      const victim = replicas.find((r) => r.child.pid === pid);
      const survivor = replicas.find((r) => r.child.pid !== pid)!;
      assert.ok(victim, `the runner ${String(running['runner'])} is one of the replicas`);
      victim.child.kill('SIGKILL');
      await victim.exited;
      const done = await waitStatus(survivor.http, 'sleep_ms', id, undefined, 600);
      assert.equal(done['status'], 'succeeded');
      assert.equal(done['attempts'], 2, 'it ran again (at least once)');
      assert.equal(done['runner'], String(running['runner']).replace(/:\d+$/, `:${survivor.child.pid}`));
      assert.deepEqual((done['response'] as { outputs: Array<{ data: number[] }> }).outputs[0]!.data, [3000]);
    } finally {
      for (const r of replicas) await stopReplica(r);
      await redis.kill();
    }
  });

  test('a job survives the restart of the only replica: the running one runs again, the queued one runs', async () => {
    const redis = await startRedis();
    const args = [
      '--model-repository',
      repo.path,
      '--jobs-store',
      `redis://127.0.0.1:${redis.port}`,
      '--jobs-concurrency',
      '1',
      '--jobs-lock-secs',
      '1',
    ];
    let replica: Replica | undefined;
    try {
      replica = await startReplica(args);
      const running = (await submit(replica.http, 'sleep_ms', sleepBody(2000))).doc['id'] as string;
      const queued = (await submit(replica.http, 'sleep_ms', sleepBody(1))).doc['id'] as string;
      await waitStatus(replica.http, 'sleep_ms', running, 'running');
      replica.child.kill('SIGKILL');
      await replica.exited;
      replica = await startReplica(args);
      const first = await waitStatus(replica.http, 'sleep_ms', running, undefined, 600);
      assert.equal(first['status'], 'succeeded');
      assert.equal(first['attempts'], 2);
      const second = await waitStatus(replica.http, 'sleep_ms', queued, undefined, 600);
      assert.equal(second['status'], 'succeeded');
      assert.equal(second['attempts'], 1, 'the queued job ran once');
    } finally {
      if (replica) await stopReplica(replica);
      await redis.kill();
    }
  });
});
