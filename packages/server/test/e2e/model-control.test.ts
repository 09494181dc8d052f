/**
 * Model control modes over the real wire: explicit load/unload (with a config override), poll
 * mode picking up added, changed and removed models, and a model that fails to load.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXAMPLES, eventually, startServer, tempRepository } from '../helpers/servers.js';

const json = async (r: Response): Promise<any> => JSON.parse(await r.text());
const post = (base: string, path: string, body: unknown = {}) =>
  fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });

describe('explicit mode', () => {
  test('loads only --load-model, then load/unload through the API', async () => {
    const repo = await tempRepository(['simple', 'identity_fp32']);
    const s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple'], repo.path);
    try {
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
      assert.equal((await fetch(`${s.http}/v2/models/identity_fp32/ready`)).status, 400);
      const idx = await json(await post(s.http, '/v2/repository/index'));
      assert.ok(idx.some((m: any) => m.name === 'identity_fp32' && m.state === ''));

      assert.equal((await post(s.http, '/v2/repository/models/identity_fp32/load')).status, 200);
      assert.equal((await fetch(`${s.http}/v2/models/identity_fp32/ready`)).status, 200);

      const metricsBefore = await (await fetch(s.metrics)).text();
      assert.match(metricsBefore, /nv_inference_request_success\{model="identity_fp32",version="1"\} 0/);
      assert.equal((await post(s.http, '/v2/repository/models/simple/unload')).status, 200);
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 400);
      assert.doesNotMatch(await (await fetch(s.metrics)).text(), /model="simple"/);
      const idx2 = await json(await post(s.http, '/v2/repository/index'));
      assert.equal(idx2.find((m: any) => m.name === 'simple').state, 'UNAVAILABLE');
      const ready = await json(await post(s.http, '/v2/repository/index', { ready: true }));
      assert.deepEqual(
        ready.map((m: any) => m.name),
        ['identity_fp32'],
      );
    } finally {
      await s.close();
      await repo.remove();
    }
  });

  test('load with a JSON config override; a bad override fails with a clear error and keeps the old version', async () => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple'], repo.path);
    try {
      const cfg = await json(await fetch(`${s.http}/v2/models/simple/config`));
      const override = { ...cfg, max_batch_size: 4 };
      const r = await post(s.http, '/v2/repository/models/simple/load', {
        parameters: { config: JSON.stringify(override) },
      });
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal((await json(await fetch(`${s.http}/v2/models/simple/config`))).max_batch_size, 4);

      const bad = await post(s.http, '/v2/repository/models/simple/load', {
        parameters: { config: '{"max_batch_size": -3' },
      });
      assert.equal(bad.status, 400);
      assert.ok((await json(bad)).error.length > 0);
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
    } finally {
      await s.close();
      await repo.remove();
    }
  });

  test('model names cannot escape the repository', async () => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(['--model-control-mode', 'explicit'], repo.path);
    try {
      for (const name of ['..', '%2e%2e', '.hidden', 'a%2Fb', '..%2F..%2Fetc']) {
        const r = await post(s.http, `/v2/repository/models/${name}/load`);
        assert.ok(r.status === 400 || r.status === 404, `${name}: ${r.status}`);
      }
      assert.equal((await post(s.http, '/v2/repository/models/missing/load')).status, 404);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});

describe('poll mode', () => {
  test('picks up added, changed and removed models; a broken model does not take the server down', async () => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(
      ['--model-control-mode', 'poll', '--repository-poll-secs', '1', '--strict-readiness', 'false'],
      repo.path,
    );
    try {
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
      // added
      await cp(join(EXAMPLES, 'identity_fp32'), join(repo.path, 'identity_fp32'), { recursive: true });
      await eventually(async () => (await fetch(`${s.http}/v2/models/identity_fp32/ready`)).status === 200);
      // changed: a new version folder appears and the config asks for all versions
      await cp(join(repo.path, 'simple', '1'), join(repo.path, 'simple', '2'), { recursive: true });
      const cfgPath = join(repo.path, 'simple', 'config.pbtxt');
      await writeFile(cfgPath, (await readFile(cfgPath, 'utf8')) + '\nversion_policy: { all { } }\n');
      await eventually(async () => (await fetch(`${s.http}/v2/models/simple/versions/2/ready`)).status === 200);
      assert.equal((await fetch(`${s.http}/v2/models/simple/versions/1/ready`)).status, 200);
      // broken model
      await mkdir(join(repo.path, 'broken', '1'), { recursive: true });
      await writeFile(
        join(repo.path, 'broken', 'config.pbtxt'),
        'name: "broken"\nbackend: "js"\nmax_batch_size: oops\n',
      );
      await eventually(async () => {
        const idx = await json(await post(s.http, '/v2/repository/index'));
        const row = idx.find((m: any) => m.name === 'broken');
        return row?.state === 'UNAVAILABLE' && /config\.pbtxt:3/.test(row.reason);
      });
      assert.equal((await fetch(`${s.http}/v2/health/live`)).status, 200);
      // removed
      await rm(join(repo.path, 'identity_fp32'), { recursive: true, force: true });
      await eventually(async () => (await fetch(`${s.http}/v2/models/identity_fp32/ready`)).status !== 200);
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});

describe('poll mode replacement', () => {
  test('a request in flight on a replaced version finishes; new requests go to the new one', async () => {
    const repo = await tempRepository(['sleep_ms']);
    const s = await startServer(['--model-control-mode', 'poll', '--repository-poll-secs', '1'], repo.path);
    const sleep = (ms: number) =>
      fetch(`${s.http}/v2/models/sleep_ms/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [ms] }] }),
      });
    const successes = async (): Promise<number> =>
      (await json(await fetch(`${s.http}/v2/models/sleep_ms/stats`))).model_stats[0].inference_stats.success.count;
    try {
      assert.equal((await sleep(1)).status, 200);
      assert.equal(await successes(), 1);
      const slow = sleep(4000);
      await new Promise((r) => setTimeout(r, 200));
      const cfgPath = join(repo.path, 'sleep_ms', 'config.pbtxt');
      await writeFile(cfgPath, (await readFile(cfgPath, 'utf8')) + '\n# changed\n');
      // The replacement is live once the statistics start again from zero.
      await eventually(async () => (await successes()) === 0);
      assert.equal((await sleep(1)).status, 200);
      const r = await slow;
      assert.equal(r.status, 200, await r.clone().text());
      assert.deepEqual((await json(r)).outputs[0].data, [4000]);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});

describe('strict readiness', () => {
  test('a model that fails to load makes the server not ready, but it keeps serving the others', async () => {
    const repo = await tempRepository(['simple']);
    await mkdir(join(repo.path, 'broken', '1'), { recursive: true });
    await writeFile(join(repo.path, 'broken', 'config.pbtxt'), 'name: "broken"\nbackend: "nonexistent"\n');
    // Without --exit-on-error=false (Triton's default true) the failed model would stop start-up.
    const s = await startServer(['--exit-on-error=false'], repo.path);
    try {
      assert.equal((await fetch(`${s.http}/v2/health/live`)).status, 200);
      assert.notEqual((await fetch(`${s.http}/v2/health/ready`)).status, 200);
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
      const idx = await json(await post(s.http, '/v2/repository/index'));
      assert.match(idx.find((m: any) => m.name === 'broken').reason, /nonexistent/);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});

describe('statistics under cancellation', () => {
  test('a request cancelled while waiting for its turn is a failure, not an execution', async () => {
    const repo = await tempRepository(['sleep_ms']);
    const cfgPath = join(repo.path, 'sleep_ms', 'config.pbtxt');
    await writeFile(cfgPath, (await readFile(cfgPath, 'utf8')).replace(/count:\s*\d+/, 'count: 1'));
    const s = await startServer([], repo.path);
    const sleep = (ms: number, signal: AbortSignal) =>
      fetch(`${s.http}/v2/models/sleep_ms/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [ms] }] }),
        signal,
      }).catch(() => undefined);
    try {
      const stop = new AbortController();
      const first = sleep(10_000, stop.signal); // runs (one instance) until cancelled
      const second = sleep(10_000, stop.signal); // waits behind it, then is cancelled unexecuted
      await new Promise((r) => setTimeout(r, 200));
      stop.abort();
      await Promise.all([first, second]);
      await eventually(async () => {
        const st = (await json(await fetch(`${s.http}/v2/models/sleep_ms/stats`))).model_stats[0];
        return st.inference_stats.fail.count === 2;
      });
      const st = (await json(await fetch(`${s.http}/v2/models/sleep_ms/stats`))).model_stats[0];
      // The first ran (and answered CANCELLED when interrupted); the second never ran.
      assert.equal(st.execution_count, 1, 'a request cancelled before it ran is not an execution');
      assert.equal(st.inference_stats.success.count, 0);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});
