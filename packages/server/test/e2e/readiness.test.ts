/**
 * Readiness that reflects serving, over the real wire (`--strict-readiness` at its default, true):
 * a failed reload (poll mode, or an explicit load with a bad override) leaves the old version
 * serving, `/v2/health/ready` and gRPC ServerReady stay ready, and the repository index (HTTP and
 * gRPC) says why the load failed on the version that keeps serving; a fixed config loads and the
 * reason clears. Only a model the server started with that never served holds readiness.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { EXAMPLES, eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { range } from '../helpers/tensors.js';

type Row = { name: string; version: string; state: string; reason: string };
const RELOAD_FAILED = /^the last load failed; this version keeps serving: /;

const index = async (s: TestServer): Promise<Row[]> =>
  (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Row[];
const row = async (s: TestServer, name: string): Promise<Row | undefined> =>
  (await index(s)).find((r) => r.name === name);
const ready = async (s: TestServer): Promise<number> => (await fetch(`${s.http}/v2/health/ready`)).status;
const infer = (s: TestServer) =>
  fetch(`${s.http}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
    }),
  });

/** Keeps `workers` clients sending requests and a prober polling readiness until `stop()`. */
function underLoad(s: TestServer, workers = 3) {
  let running = true;
  const counts = { ok: 0, failed: [] as string[], notReady: 0, probes: 0 };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const r = await infer(s);
      const text = await r.text();
      if (r.status === 200) counts.ok++;
      else counts.failed.push(`${r.status} ${text}`);
    }
  });
  const prober = (async () => {
    while (running) {
      counts.probes++;
      if ((await ready(s)) !== 200) counts.notReady++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all([...loops, prober]);
      return counts;
    },
  };
}

describe('poll mode', () => {
  test('a broken config keeps the old version serving and the server ready; the index says why; a fix loads', async (t) => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(['--model-control-mode', 'poll', '--repository-poll-secs', '1'], repo.path);
    const client = grpcClient(s.grpcPort);
    const cfgPath = join(repo.path, 'simple', 'config.pbtxt');
    const good = await readFile(cfgPath, 'utf8');
    const load = underLoad(s);
    try {
      assert.equal(await ready(s), 200);
      // A typo: the reload fails, version 1 goes on serving.
      await writeFile(cfgPath, good + '\nmax_batch_size: oops\n');
      await eventually(async () => RELOAD_FAILED.test((await row(s, 'simple'))?.reason ?? ''));
      const broken = (await row(s, 'simple'))!;
      assert.equal(broken.state, 'READY');
      assert.match(broken.reason, /config\.pbtxt:\d+/);
      assert.equal(await ready(s), 200);
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
      assert.equal((await unary(client, 'ServerReady', {}))['ready'], true);
      const grpcRow = (await unary(client, 'RepositoryIndex', {}))['models'].find((m: Row) => m.name === 'simple');
      assert.equal(grpcRow.state, 'READY');
      assert.match(grpcRow.reason, RELOAD_FAILED);

      // A config naming a file outside the model folder fails the same way.
      await writeFile(
        cfgPath,
        good.replace(/(name:\s*"OUTPUT0"[^}]*?)(\n\s*\})/, '$1\n    label_filename: "../../etc/passwd"$2'),
      );
      await eventually(async () => /resolves outside the model folder/.test((await row(s, 'simple'))?.reason ?? ''));
      assert.equal(await ready(s), 200);

      // Fixed (and changed): the new config loads and the reason clears.
      await writeFile(cfgPath, good.replace(/max_batch_size:\s*\d+/, 'max_batch_size: 4'));
      await eventually(
        async () => ((await (await fetch(`${s.http}/v2/models/simple/config`)).json()) as any).max_batch_size === 4,
      );
      assert.deepEqual(await row(s, 'simple'), { name: 'simple', version: '1', state: 'READY', reason: '' });

      // A version change under load: version 2 appears and the policy serves both.
      await cp(join(repo.path, 'simple', '1'), join(repo.path, 'simple', '2'), { recursive: true });
      await writeFile(cfgPath, (await readFile(cfgPath, 'utf8')) + '\nversion_policy: { all { } }\n');
      await eventually(async () => (await fetch(`${s.http}/v2/models/simple/versions/2/ready`)).status === 200);

      const counts = await load.stop();
      t.diagnostic(`${counts.ok} requests served, ${counts.probes} readiness probes`);
      assert.deepEqual(counts.failed, [], 'no request failed while the config broke, was fixed and versions changed');
      assert.equal(counts.notReady, 0, `readiness turned false ${counts.notReady} of ${counts.probes} probes`);
      assert.ok(counts.ok > 0 && counts.probes > 0);
    } finally {
      await load.stop();
      client.close();
      await s.close();
      await repo.remove();
    }
  });

  test('a new model folder with a broken config does not take the server out of readiness', async () => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(['--model-control-mode', 'poll', '--repository-poll-secs', '1'], repo.path);
    try {
      assert.equal(await ready(s), 200);
      await mkdir(join(repo.path, 'broken', '1'), { recursive: true });
      await writeFile(
        join(repo.path, 'broken', 'config.pbtxt'),
        'name: "broken"\nbackend: "js"\nmax_batch_size: oops\n',
      );
      await eventually(async () => (await row(s, 'broken'))?.state === 'UNAVAILABLE');
      assert.match((await row(s, 'broken'))!.reason, /config\.pbtxt:3/);
      assert.equal(await ready(s), 200);
      assert.equal((await fetch(`${s.http}/v2/models/broken/ready`)).status, 400);
    } finally {
      await s.close();
      await repo.remove();
    }
  });

  test('a model that failed at startup holds readiness until a fixed config loads', async () => {
    const repo = await tempRepository(['simple']);
    await cp(join(EXAMPLES, 'identity_fp32'), join(repo.path, 'identity_fp32'), { recursive: true });
    const cfgPath = join(repo.path, 'identity_fp32', 'config.pbtxt');
    const good = await readFile(cfgPath, 'utf8');
    await writeFile(cfgPath, good + '\nmax_batch_size: oops\n');
    // --exit-on-error=false: serve on with the failed model (Triton's default would stop start-up).
    const s = await startServer(
      ['--model-control-mode', 'poll', '--repository-poll-secs', '1', '--exit-on-error=false'],
      repo.path,
    );
    try {
      assert.equal(await ready(s), 400);
      assert.equal((await infer(s)).status, 200, 'the other models serve meanwhile');
      await writeFile(cfgPath, good);
      await eventually(async () => (await ready(s)) === 200);
      assert.equal((await row(s, 'identity_fp32'))?.reason, '');
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});

describe('explicit mode', () => {
  test('a load with a bad override keeps the old version, the server ready, and the reason in the index', async () => {
    const repo = await tempRepository(['simple', 'identity_fp32']);
    const s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple'], repo.path);
    const client = grpcClient(s.grpcPort);
    const loadWith = (model: string, config: unknown) =>
      fetch(`${s.http}/v2/repository/models/${model}/load`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { config: JSON.stringify(config) } }),
      });
    try {
      const cfg = (await (await fetch(`${s.http}/v2/models/simple/config`)).json()) as Record<string, unknown>;
      const bad = await loadWith('simple', { ...cfg, max_batch_size: -3 });
      assert.equal(bad.status, 400);
      const error = ((await bad.json()) as { error: string }).error;
      assert.equal(await ready(s), 200);
      assert.equal((await unary(client, 'ServerReady', {}))['ready'], true);
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
      assert.equal((await infer(s)).status, 200);
      const broken = (await row(s, 'simple'))!;
      assert.equal(broken.state, 'READY');
      assert.equal(broken.reason, `the last load failed; this version keeps serving: ${error}`);

      // A broken model that never served: the load fails, the server stays ready.
      const idCfg = join(repo.path, 'identity_fp32', 'config.pbtxt');
      await writeFile(idCfg, (await readFile(idCfg, 'utf8')) + '\nmax_batch_size: oops\n');
      assert.equal((await fetch(`${s.http}/v2/repository/models/identity_fp32/load`, { method: 'POST' })).status, 400);
      assert.equal(await ready(s), 200);
      assert.equal((await row(s, 'identity_fp32'))?.state, 'UNAVAILABLE');

      const ok = await loadWith('simple', { ...cfg, max_batch_size: 4 });
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.deepEqual(await row(s, 'simple'), { name: 'simple', version: '1', state: 'READY', reason: '' });
    } finally {
      client.close();
      await s.close();
      await repo.remove();
    }
  });
});
