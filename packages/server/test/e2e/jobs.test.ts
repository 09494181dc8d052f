/**
 * The async job API over the real wire, in-process store (docs/jobs.md): submit → 202 + Location,
 * status, the result equal to what /infer answers (JSON and binary extension), cancel of queued and
 * running jobs, result expiry, 429 with Retry-After for the backlog and per-client quotas (remote
 * address or --jobs-client-header), refusals at submission, signed callbacks retried until a
 * receiver the test starts accepts them, restricted APIs, `--jobs-store none`, the metrics, and
 * the @tensorgate/client methods.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpInferenceClient, InferInput } from '@tensorgate/client';
import { simpleBody, sleepBody, startReceiver, submit, jobDoc, waitStatus } from '../helpers/jobs.js';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let repo: { path: string; remove(): Promise<void> };
before(async () => {
  repo = await tempRepository(['simple', 'sleep_ms']);
});
after(async () => {
  await repo.remove();
});

describe('in-process jobs', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      ['--jobs-concurrency', '1', '--jobs-max-queued', '3', '--jobs-result-ttl-secs', '2'],
      repo.path,
    );
  });
  after(async () => {
    await s.close();
  });

  test('a JSON job answers 202 with its id and Location, runs, and returns what /infer returns', async () => {
    const res = await submit(s.http, 'simple', simpleBody());
    assert.equal(res.status, 202);
    const id = res.doc['id'] as string;
    assert.equal(res.doc['status'], 'queued');
    assert.equal(res.headers.get('location'), `/v2/models/simple/jobs/${id}`);
    const doc = await waitStatus(s.http, 'simple', id);
    assert.equal(doc['status'], 'succeeded');
    assert.equal(doc['attempts'], 1);
    assert.ok(typeof doc['runner'] === 'string');
    const direct = await (
      await fetch(`${s.http}/v2/models/simple/infer`, { method: 'POST', body: simpleBody() })
    ).json();
    assert.deepEqual(doc['response'], direct);
    const result = await fetch(`${s.http}${doc['result_url'] as string}`);
    assert.equal(result.status, 200);
    assert.deepEqual(await result.json(), direct);
  });

  test('the client submits binary-extension jobs and waits for them; the result is decoded from .../result', async () => {
    const client = new HttpInferenceClient(s.http);
    const a = new InferInput('INPUT0', [1, 16], 'INT32').setData(new Int32Array(16).fill(5));
    const b = new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(2));
    const job = await client.submitJob('simple', [a, b]);
    assert.equal(job.status, 'queued');
    const done = await client.waitJob('simple', job.id, { timeoutMs: 30_000 });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual([...(done.result!.asTypedArray('OUTPUT0') as Int32Array)], Array(16).fill(7));
    const doc = (await jobDoc(s.http, 'simple', job.id)).doc;
    assert.equal(doc['binary_result'], true, 'binary outputs are not inlined');
    assert.equal(doc['response'], undefined);
    const raw = await fetch(`${s.http}/v2/models/simple/jobs/${job.id}/result`);
    assert.ok(Number(raw.headers.get('inference-header-content-length')) > 0);
    await client.close();
  });

  test('cancel: a queued job never runs, a running one is cancelled; a finished job stays as it is', async () => {
    const running = await submit(s.http, 'sleep_ms', sleepBody(30_000));
    const queued = await submit(s.http, 'sleep_ms', sleepBody(1));
    await waitStatus(s.http, 'sleep_ms', running.doc['id'] as string, 'running');
    const q = await jobDoc(s.http, 'sleep_ms', queued.doc['id'] as string, 'DELETE');
    assert.equal(q.status, 200);
    assert.equal(q.doc['status'], 'cancelled');
    assert.equal(q.doc['started_at'], undefined, 'never started');
    assert.equal(q.doc['attempts'], 0);
    const r = await jobDoc(s.http, 'sleep_ms', running.doc['id'] as string, 'DELETE');
    assert.equal(r.doc['status'], 'cancelled');
    const after = await waitStatus(s.http, 'sleep_ms', running.doc['id'] as string);
    assert.equal(after['status'], 'cancelled');
    assert.equal(after['error_code'], 'CANCELLED');
    assert.ok(after['finished_at']);
    const result = await fetch(`${s.http}/v2/models/sleep_ms/jobs/${running.doc['id'] as string}/result`);
    assert.equal(result.status, 499);
    // The sleep was cancelled, not waited out: the worker is free for the next job at once.
    const next = await submit(s.http, 'sleep_ms', sleepBody(1));
    assert.equal((await waitStatus(s.http, 'sleep_ms', next.doc['id'] as string))['status'], 'succeeded');
    const again = await jobDoc(s.http, 'sleep_ms', next.doc['id'] as string, 'DELETE');
    assert.equal(again.doc['status'], 'succeeded');
  });

  test('a full backlog answers 429 with Retry-After', async () => {
    const ids: string[] = [];
    const first = await submit(s.http, 'sleep_ms', sleepBody(30_000));
    ids.push(first.doc['id'] as string);
    await waitStatus(s.http, 'sleep_ms', ids[0]!, 'running');
    for (let i = 0; i < 3; i++) ids.push((await submit(s.http, 'sleep_ms', sleepBody(1))).doc['id'] as string);
    const refused = await submit(s.http, 'sleep_ms', sleepBody(1));
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.doc['error'] as string, /--jobs-max-queued/);
    for (const id of ids) await jobDoc(s.http, 'sleep_ms', id, 'DELETE');
  });

  test('finished jobs expire after --jobs-result-ttl-secs', async () => {
    const res = await submit(s.http, 'simple', simpleBody());
    const id = res.doc['id'] as string;
    await waitStatus(s.http, 'simple', id, 'succeeded');
    await eventually(async () => (await jobDoc(s.http, 'simple', id)).status === 404, 100, 100);
    const gone = await jobDoc(s.http, 'simple', id);
    assert.match(gone.doc['error'] as string, /not found .*--jobs-result-ttl-secs/);
  });

  test("bad submissions are refused at once, with the infer endpoint's errors", async () => {
    const unknown = await submit(s.http, 'nope', simpleBody());
    assert.equal(unknown.status, 404);
    const badInput = await submit(
      s.http,
      'simple',
      JSON.stringify({ inputs: [{ name: 'X', shape: [1], datatype: 'INT32', data: [1] }] }),
    );
    assert.equal(badInput.status, 400);
    const shm = await submit(
      s.http,
      'sleep_ms',
      JSON.stringify({
        inputs: [
          {
            name: 'INPUT0',
            shape: [1],
            datatype: 'UINT32',
            parameters: { shared_memory_region: 'r', shared_memory_byte_size: 4 },
          },
        ],
      }),
    );
    assert.equal(shm.status, 501);
    assert.match(shm.doc['error'] as string, /shared-memory/);
    const callback = await submit(s.http, 'simple', simpleBody(), { 'job-callback-url': 'http://169.254.169.254/' });
    assert.equal(callback.status, 400);
    assert.match(callback.doc['error'] as string, /--jobs-webhook-allow/);
    // A job of another model is not found through this model's path.
    const own = await submit(s.http, 'simple', simpleBody());
    assert.equal((await jobDoc(s.http, 'sleep_ms', own.doc['id'] as string)).status, 404);
  });

  test('the tensorgate_jobs_* families count jobs', async () => {
    const text = await (await fetch(s.metrics)).text();
    assert.match(text, /^tensorgate_jobs_finished_total\{model="simple",status="succeeded"\} [1-9]/m);
    assert.match(text, /^tensorgate_jobs_finished_total\{model="sleep_ms",status="cancelled"\} [1-9]/m);
    assert.match(text, /^tensorgate_jobs_queued \d+$/m);
    assert.match(text, /^tensorgate_jobs_running \d+$/m);
    assert.match(text, /^tensorgate_jobs_queue_duration_seconds_count\{model="simple"\} [1-9]/m);
    assert.match(text, /^tensorgate_jobs_run_duration_seconds_count\{model="simple"\} [1-9]/m);
  });
});

describe('per-client quotas', () => {
  test('by remote address, and by --jobs-client-header', async () => {
    const byAddress = await startServer(['--jobs-concurrency', '1', '--jobs-max-per-client', '1'], repo.path);
    try {
      const first = await submit(byAddress.http, 'sleep_ms', sleepBody(30_000));
      assert.equal(first.status, 202);
      const second = await submit(byAddress.http, 'sleep_ms', sleepBody(1));
      assert.equal(second.status, 429);
      assert.match(second.doc['error'] as string, /--jobs-max-per-client/);
      await jobDoc(byAddress.http, 'sleep_ms', first.doc['id'] as string, 'DELETE');
      await waitStatus(byAddress.http, 'sleep_ms', first.doc['id'] as string);
      assert.equal((await submit(byAddress.http, 'sleep_ms', sleepBody(1))).status, 202, 'free again');
    } finally {
      await byAddress.close();
    }
    const byHeader = await startServer(
      ['--jobs-concurrency', '1', '--jobs-max-per-client', '1', '--jobs-client-header', 'X-Tenant'],
      repo.path,
    );
    try {
      const a = await submit(byHeader.http, 'sleep_ms', sleepBody(30_000), { 'x-tenant': 'a' });
      assert.equal(a.status, 202);
      assert.equal((await submit(byHeader.http, 'sleep_ms', sleepBody(1), { 'x-tenant': 'a' })).status, 429);
      const b = await submit(byHeader.http, 'sleep_ms', sleepBody(1), { 'x-tenant': 'b' });
      assert.equal(b.status, 202, 'another tenant has its own quota');
      const none = await submit(byHeader.http, 'sleep_ms', sleepBody(1));
      assert.equal(none.status, 400);
      assert.match(none.doc['error'] as string, /'x-tenant' header/);
      await jobDoc(byHeader.http, 'sleep_ms', a.doc['id'] as string, 'DELETE');
      await jobDoc(byHeader.http, 'sleep_ms', b.doc['id'] as string, 'DELETE');
    } finally {
      await byHeader.close();
    }
  });
});

describe('callbacks', () => {
  test('a finished job is POSTed, signed, to an allowed origin, and retried until the receiver accepts it', async () => {
    const receiver = await startReceiver('hook-secret', 1);
    const s = await startServer(
      ['--jobs-webhook-allow', receiver.origin, '--jobs-webhook-secret', 'hook-secret'],
      repo.path,
    );
    try {
      const res = await submit(s.http, 'simple', simpleBody(), { 'job-callback-url': `${receiver.origin}/done` });
      assert.equal(res.status, 202);
      // The first delivery gets a 500; the second (1 s later) is accepted.
      await eventually(() => receiver.deliveries.length >= 2, 200, 100);
      for (const d of receiver.deliveries) {
        assert.ok(d.signatureValid, 'signature verifies with the shared secret');
        assert.equal(d.headers['tensorgate-job-id'], res.doc['id']);
        const doc = JSON.parse(d.body) as Record<string, unknown>;
        assert.equal(doc['status'], 'succeeded');
        assert.deepEqual(
          (doc['response'] as { outputs: Array<{ name: string }> }).outputs.map((o) => o.name),
          ['OUTPUT0', 'OUTPUT1'],
        );
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(receiver.deliveries.length, 2, 'no delivery after the accepted one');
      const other = await submit(s.http, 'simple', simpleBody(), { 'job-callback-url': 'http://127.0.0.1:1/x' });
      assert.equal(other.status, 400, 'another origin is refused');
    } finally {
      await s.close();
      await receiver.close();
    }
  });
});

describe('access', () => {
  test('jobs are in the inference group of --http-restricted-api; --jobs-store none answers 501', async () => {
    const s = await startServer(['--http-restricted-api', 'inference:api-key=k'], repo.path);
    try {
      assert.equal((await submit(s.http, 'simple', simpleBody())).status, 403);
      const ok = await submit(s.http, 'simple', simpleBody(), { 'api-key': 'k' });
      assert.equal(ok.status, 202);
      const get = await fetch(`${s.http}/v2/models/simple/jobs/${ok.doc['id'] as string}`);
      assert.equal(get.status, 403);
      const del = await fetch(`${s.http}/v2/models/simple/jobs/${ok.doc['id'] as string}`, { method: 'DELETE' });
      assert.equal(del.status, 403);
    } finally {
      await s.close();
    }
    const off = await startServer(['--jobs-store', 'none'], repo.path);
    try {
      const res = await submit(off.http, 'simple', simpleBody());
      assert.equal(res.status, 501);
      assert.match(res.doc['error'] as string, /--jobs-store none/);
    } finally {
      await off.close();
    }
  });
});
