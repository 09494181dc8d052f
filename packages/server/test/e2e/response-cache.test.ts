/**
 * The response cache on real servers (`--cache-config` and `response_cache { enable: true }`):
 * hits answer identical outputs without executing the model over HTTP, gRPC unary and gRPC
 * streaming; different inputs, parameters and versions miss; statistics (`cache_hit` /
 * `cache_miss`) and `nv_cache_*` metrics move; the local cache evicts by bytes; two servers share
 * one real redis-server; a Redis killed mid-test never fails a request and its failures are
 * counted; a decoupled model with the cache enabled is refused at load.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcClient, streamAll, unary, type Msg } from '../helpers/grpc-client.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { EXAMPLES, eventually, startLoggedServer, startServer, type TestServer } from '../helpers/servers.js';
import { range, raw, values } from '../helpers/tensors.js';

const CACHE_ON = '\nresponse_cache { enable: true }\n';

/** A repository with `simple` (versions 1 and 2, cache on), `simple_nocache` and `repeat_int32` (cache on). */
async function cacheRepository(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tensorgate-cache-'));
  await cp(join(EXAMPLES, 'simple'), join(path, 'simple'), { recursive: true });
  await cp(join(EXAMPLES, 'simple', '1'), join(path, 'simple', '2'), { recursive: true });
  await appendFile(join(path, 'simple', 'config.pbtxt'), `${CACHE_ON}version_policy { all {} }\n`);
  await cp(join(EXAMPLES, 'repeat_int32'), join(path, 'repeat_int32'), { recursive: true });
  await appendFile(join(path, 'repeat_int32', 'config.pbtxt'), CACHE_ON);
  await cp(join(EXAMPLES, 'simple_ensemble'), join(path, 'simple_ensemble'), { recursive: true });
  await cp(join(EXAMPLES, 'simple_ensemble'), join(path, 'ensemble_cached'), { recursive: true });
  const cfg = join(path, 'ensemble_cached', 'config.pbtxt');
  await writeFile(
    cfg,
    (await readFile(cfg, 'utf8')).replace('name: "simple_ensemble"', 'name: "ensemble_cached"') + CACHE_ON,
  );
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

interface Stats {
  execution_count: number;
  inference_count: number;
  inference_stats: Record<string, { count: number; ns: number }>;
}

async function stats(s: TestServer, version: string, model = 'simple'): Promise<Stats> {
  const r = await fetch(`${s.http}/v2/models/${model}/versions/${version}/stats`);
  assert.equal(r.status, 200);
  const body = (await r.json()) as { model_stats: Stats[] };
  return body.model_stats[0]!;
}

async function httpInfer(
  s: TestServer,
  a: number[],
  opts: { version?: string; parameters?: Record<string, unknown> } = {},
): Promise<{ outputs: { name: string; data: number[] }[] }> {
  const path = `simple/versions/${opts.version ?? '1'}`;
  const r = await fetch(`${s.http}/v2/models/${path}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      ...(opts.parameters ? { parameters: opts.parameters } : {}),
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
    }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as { outputs: { name: string; data: number[] }[] };
}

function grpcRequest(a: number[]): Msg {
  return {
    model_name: 'simple',
    model_version: '1',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    raw_input_contents: [raw('INT32', a), raw('INT32', range(16))],
  };
}

function metric(text: string, name: string, version = '1'): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{model="simple",version="${version}"}`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function plain(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('local response cache', () => {
  let repo: { path: string; remove(): Promise<void> };
  let s: TestServer;
  before(async () => {
    repo = await cacheRepository();
    s = await startServer(
      ['--cache-config', 'local,size=1048576', '--load-model', 'simple', '--model-control-mode', 'explicit'],
      repo.path,
    );
  });
  after(async () => {
    await s.close();
    await repo.remove();
  });

  test('HTTP: a repeated request is a hit with identical outputs; statistics and metrics move', async () => {
    const a = range(16, 100);
    const first = await httpInfer(s, a);
    await eventually(async () => (await stats(s, '1')).inference_stats['cache_miss']!.count === 1);
    const second = await httpInfer(s, a);
    assert.deepEqual(second.outputs, first.outputs);
    assert.deepEqual(
      first.outputs[0]!.data,
      a.map((v, i) => v + i),
    );
    const st = await stats(s, '1');
    assert.equal(st.execution_count, 1, 'the hit did not execute the model');
    assert.equal(st.inference_count, 2);
    assert.equal(st.inference_stats['success']!.count, 2);
    assert.equal(st.inference_stats['cache_hit']!.count, 1);
    assert.equal(st.inference_stats['cache_miss']!.count, 1);
    assert.equal(st.inference_stats['compute_infer']!.count, 1, 'a hit has no compute durations');
    const text = await (await fetch(s.metrics)).text();
    assert.equal(metric(text, 'nv_cache_num_hits_per_model'), 1);
    assert.equal(metric(text, 'nv_cache_num_misses_per_model'), 1);
    assert.equal(metric(text, 'nv_inference_request_success'), 2);
    assert.equal(metric(text, 'nv_inference_exec_count'), 1);
    assert.ok(metric(text, 'nv_cache_miss_duration_per_model') >= 0);
  });

  test('different inputs, parameters and versions miss', async () => {
    const a = range(16, 200);
    await httpInfer(s, a);
    const before = (await stats(s, '1')).execution_count;
    await httpInfer(s, range(16, 201));
    await httpInfer(s, a, { parameters: { custom: 'x' } });
    assert.equal((await stats(s, '1')).execution_count, before + 2);
    // priority only schedules: same key
    await httpInfer(s, a, { parameters: { priority: 0 } });
    assert.equal((await stats(s, '1')).execution_count, before + 2);
    const v2 = await httpInfer(s, a, { version: '2' });
    assert.equal((await stats(s, '2')).execution_count, 1);
    assert.deepEqual(
      v2.outputs[0]!.data,
      a.map((v, i) => v + i),
    );
  });

  test('gRPC unary and streaming hit the entries HTTP stored', async () => {
    const a = range(16, 300);
    await httpInfer(s, a);
    await eventually(async () => (await stats(s, '1')).inference_stats['cache_miss']!.count >= 1);
    const executions = (await stats(s, '1')).execution_count;
    const client = grpcClient(s.grpcPort);
    try {
      const r = await unary(client, 'ModelInfer', grpcRequest(a));
      assert.deepEqual(
        values('INT32', r['raw_output_contents'][0]),
        a.map((v, i) => v + i),
      );
      const streamed = await streamAll(client, [grpcRequest(a), grpcRequest(a)]);
      assert.equal(streamed.length, 2);
      for (const m of streamed) {
        assert.equal(m['error_message'], '');
        assert.deepEqual(
          values('INT32', m['infer_response']['raw_output_contents'][1]),
          a.map((v, i) => v - i),
        );
      }
    } finally {
      client.close();
    }
    assert.equal((await stats(s, '1')).execution_count, executions, 'gRPC requests were all hits');
  });

  test('ensembles: composing models hit inside an ensemble; an ensemble with the cache hits as a whole', async () => {
    for (const m of ['simple_ensemble', 'ensemble_cached']) {
      const r = await fetch(`${s.http}/v2/repository/models/${m}/load`, { method: 'POST' });
      assert.equal(r.status, 200, await r.text());
    }
    const infer = async (model: string): Promise<unknown> => {
      const r = await fetch(`${s.http}/v2/models/${model}/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16, 700) },
            { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
          ],
        }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { outputs: unknown }).outputs;
    };
    const missesBefore = (await stats(s, '2')).inference_stats['cache_miss']!.count;
    const first = await infer('simple_ensemble');
    // Both steps ran on `simple` version 2 (model_version -1: the latest) and were stored.
    await eventually(async () => (await stats(s, '2')).inference_stats['cache_miss']!.count === missesBefore + 2);
    const executions = (await stats(s, '2')).execution_count;
    assert.deepEqual(await infer('simple_ensemble'), first);
    assert.equal((await stats(s, '2')).execution_count, executions, 'both steps were hits');
    assert.equal((await stats(s, '1', 'simple_ensemble')).inference_stats['success']!.count, 2);
    // The cached ensemble: its first request misses at the top (its steps hit), its second is a hit.
    assert.deepEqual(await infer('ensemble_cached'), first);
    await eventually(async () => (await stats(s, '1', 'ensemble_cached')).inference_stats['cache_miss']!.count === 1);
    const stepHits = (await stats(s, '2')).inference_stats['cache_hit']!.count;
    assert.deepEqual(await infer('ensemble_cached'), first);
    const top = await stats(s, '1', 'ensemble_cached');
    assert.equal(top.inference_stats['cache_hit']!.count, 1);
    assert.equal((await stats(s, '2')).inference_stats['cache_hit']!.count, stepHits, 'a top-level hit runs no step');
  });

  test('a decoupled model with response_cache enabled is refused at load', async () => {
    const r = await fetch(`${s.http}/v2/repository/models/repeat_int32/load`, { method: 'POST' });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: string };
    assert.match(body.error, /Response Cache does not currently support model repeat_int32 with 'decoupled'/);
  });
});

describe('local response cache eviction', () => {
  let repo: { path: string; remove(): Promise<void> };
  let s: TestServer;
  before(async () => {
    repo = await cacheRepository();
    // One entry of `simple` (two 64-byte outputs, a ~200-byte header, a 64-byte key) fits, two do not.
    s = await startServer(
      ['--cache-config', 'local,size=700', '--load-model', 'simple', '--model-control-mode', 'explicit'],
      repo.path,
    );
  });
  after(async () => {
    await s.close();
    await repo.remove();
  });

  test('LRU by bytes: a second entry evicts the first', async () => {
    const a = range(16, 1);
    const b = range(16, 2);
    const misses = async (n: number): Promise<void> =>
      eventually(async () => (await stats(s, '1')).inference_stats['cache_miss']!.count === n);
    await httpInfer(s, a);
    await misses(1);
    await httpInfer(s, a);
    assert.equal((await stats(s, '1')).inference_stats['cache_hit']!.count, 1, 'one entry fits');
    await httpInfer(s, b);
    await misses(2);
    await httpInfer(s, a);
    await misses(3);
    assert.equal((await stats(s, '1')).execution_count, 3, 'a was evicted by b');
  });
});

describe('local response cache smaller than an entry', () => {
  let repo: { path: string; remove(): Promise<void> };
  let s: TestServer;
  before(async () => {
    repo = await cacheRepository();
    s = await startServer(
      ['--cache-config', 'local,size=100', '--load-model', 'simple', '--model-control-mode', 'explicit'],
      repo.path,
    );
  });
  after(async () => {
    await s.close();
    await repo.remove();
  });

  test('an entry larger than the cache is refused and counted', async () => {
    const a = range(16, 5);
    await httpInfer(s, a);
    await httpInfer(s, a);
    assert.equal((await stats(s, '1')).execution_count, 2);
    const text = await (await fetch(s.metrics)).text();
    assert.equal(plain(text, 'tensorgate_response_cache_oversized_total'), 2);
  });
});

describe('Redis response cache shared by two servers', () => {
  let repo: { path: string; remove(): Promise<void> };
  let redis: TestRedis;
  let one: TestServer;
  let two: TestServer;
  before(async () => {
    repo = await cacheRepository();
    redis = await startRedis();
    const flags = [
      '--cache-config',
      'redis,host=127.0.0.1',
      '--cache-config',
      `redis,port=${redis.port}`,
      '--load-model',
      'simple',
      '--model-control-mode',
      'explicit',
    ];
    one = await startServer(flags, repo.path);
    two = await startServer([...flags, '--grpc-transport', 'grpc-js'], repo.path);
  });
  after(async () => {
    await one.close();
    await two.close();
    await redis.kill();
    await repo.remove();
  });

  test("one server's entries are the other's hits (HTTP and gRPC)", async () => {
    const a = range(16, 400);
    const first = await httpInfer(one, a);
    await eventually(async () => (await stats(one, '1')).inference_stats['cache_miss']!.count === 1);
    const second = await httpInfer(two, a);
    assert.deepEqual(second.outputs, first.outputs);
    const st = await stats(two, '1');
    assert.equal(st.execution_count, 0, 'server two never executed the model');
    assert.equal(st.inference_stats['cache_hit']!.count, 1);
    const client = grpcClient(two.grpcPort);
    try {
      const r = await unary(client, 'ModelInfer', grpcRequest(a));
      assert.deepEqual(
        values('INT32', r['raw_output_contents'][0]),
        a.map((v, i) => v + i),
      );
      const [m] = await streamAll(client, [grpcRequest(a)]);
      assert.deepEqual(
        values('INT32', m!['infer_response']['raw_output_contents'][0]),
        a.map((v, i) => v + i),
      );
    } finally {
      client.close();
    }
    assert.equal((await stats(two, '1')).execution_count, 0);
    const text = await (await fetch(two.metrics)).text();
    assert.equal(metric(text, 'nv_cache_num_hits_per_model'), 3);
  });

  test('Redis killed: requests still succeed and the failures are counted', async () => {
    await redis.kill();
    const a = range(16, 500);
    for (let i = 0; i < 3; i++) {
      const r = await httpInfer(one, a);
      assert.deepEqual(
        r.outputs[0]!.data,
        a.map((v, j) => v + j),
      );
    }
    const client = grpcClient(one.grpcPort);
    try {
      const r = await unary(client, 'ModelInfer', grpcRequest(a));
      assert.deepEqual(
        values('INT32', r['raw_output_contents'][0]),
        a.map((v, i) => v + i),
      );
    } finally {
      client.close();
    }
    await eventually(
      async () => plain(await (await fetch(one.metrics)).text(), 'tensorgate_response_cache_failures_total') >= 4,
    );
  });
});

describe('no --cache-config', () => {
  test('a model with response_cache enabled loads and runs uncached, with a warning', async () => {
    const repo = await cacheRepository();
    const s = await startLoggedServer(['--load-model', 'simple', '--model-control-mode', 'explicit'], repo.path);
    try {
      const a = range(16, 900);
      await httpInfer(s, a);
      await httpInfer(s, a);
      const st = await stats(s, '1');
      assert.equal(st.execution_count, 2);
      assert.equal(st.inference_stats['cache_hit']!.count, 0);
      assert.equal(st.inference_stats['cache_miss']!.count, 0);
      assert.ok(
        s.logs.some((l) => l['model'] === 'simple' && /server has no cache \(--cache-config\)/.test(String(l['msg']))),
      );
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});
