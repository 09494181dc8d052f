/**
 * The rate limiter over the real wire (docs/rate-limiter.md). JS models that share the resource
 * `gpu_mem` (count 1 each) log the start and end (process.hrtime) of every execution to a file in
 * their folder; a request with IN = -1 holds its instance until the test creates the file
 * `release-<request id>`, so later requests are known to wait. No test asserts on timings: the
 * limiter's guarantees are orderings (no overlap, who goes first).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';

const MODEL_JS = `import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export default class Stamped {
  initialize(args) {
    this.dir = args.model_repository;
  }
  async execute(requests) {
    const start = process.hrtime.bigint();
    for (const r of requests) {
      if (r.input('IN').data[0] === -1) {
        appendFileSync(join(this.dir, 'holding.log'), r.id + '\\n');
        while (!existsSync(join(this.dir, 'release-' + r.id)) && !r.isCancelled()) await sleep(5);
      }
    }
    await sleep(15);
    const end = process.hrtime.bigint();
    appendFileSync(join(this.dir, 'executions.log'), requests.map((r) => r.id).join(',') + ' ' + start + ' ' + end + '\\n');
    return requests.map((r) => ({ outputs: [{ name: 'OUT', data: new Int32Array(r.batchSize).fill(requests.length) }] }));
  }
}
`;

function config(name: string, rateLimiter: string, extra = ''): string {
  const batching = extra.includes('dynamic_batching');
  return `name: "${name}"
backend: "js"
max_batch_size: ${batching ? 4 : 0}
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU rate_limiter { ${rateLimiter} } } ]
${extra}
`;
}

const SHARED = 'resources [ { name: "gpu_mem" count: 1 } ]';
const MODELS: Record<string, string> = {
  alpha: config('alpha', `${SHARED} priority: 1`),
  beta: config('beta', `${SHARED} priority: 2`),
  gamma: config('gamma', SHARED, 'dynamic_batching { max_queue_delay_microseconds: 1000 }'),
  blocker: config('blocker', SHARED),
};

/** Models loaded only to see their load fail. */
const FAILING: Record<string, string> = {
  needy: config('needy', 'resources [ { name: "gpu_mem" count: 4 } ]'),
  everywhere: config('everywhere', 'resources [ { name: "gpu_mem" global: true count: 1 } ]'),
  unnamed: config('unnamed', 'resources [ { name: "" count: 1 } ]'),
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-rate-limiter-'));
  for (const [name, pbtxt] of Object.entries({ ...MODELS, ...FAILING })) {
    await mkdir(join(dir, name, '1'), { recursive: true });
    await writeFile(join(dir, name, 'config.pbtxt'), pbtxt);
    await writeFile(join(dir, name, '1', 'model.js'), MODEL_JS);
  }
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LOAD_MAIN = ['--model-control-mode', 'explicit', ...Object.keys(MODELS).flatMap((m) => ['--load-model', m])];

interface Execution {
  model: string;
  ids: string[];
  start: bigint;
  end: bigint;
}

async function executions(model: string): Promise<Execution[]> {
  const text = await readFile(join(dir, model, 'executions.log'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [ids, start, end] = l.split(' ');
      return { model, ids: ids!.split(','), start: BigInt(start!), end: BigInt(end!) };
    });
}

async function holding(model: string): Promise<string[]> {
  const text = await readFile(join(dir, model, 'holding.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

async function clearLogs(): Promise<void> {
  for (const m of Object.keys(MODELS)) {
    await rm(join(dir, m, 'executions.log'), { force: true });
    await rm(join(dir, m, 'holding.log'), { force: true });
  }
}

async function infer(s: TestServer, model: string, id: string, value = 1): Promise<number> {
  const r = await fetch(`${s.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      id,
      inputs: [{ name: 'IN', shape: model === 'gamma' ? [1, 1] : [1], datatype: 'INT32', data: [value] }],
    }),
  });
  const body = (await r.json()) as { error?: string };
  assert.equal(r.status, 200, body.error);
  return r.status;
}

/** Starts a request that holds `model`'s instance (and its gpu_mem) until released; waits until it does. */
async function hold(s: TestServer, model: string, id: string): Promise<{ reply: Promise<number> }> {
  const reply = infer(s, model, id, -1);
  await eventually(async () => (await holding(model)).includes(id));
  return { reply };
}

const release = (model: string, id: string): Promise<void> => writeFile(join(dir, model, `release-${id}`), '');

async function pending(s: TestServer, model: string): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`nv_inference_pending_request_count{model="${model}",version="1"}`));
  return Number(line?.split(' ').pop() ?? NaN);
}

async function queueStats(s: TestServer, model: string): Promise<{ count: number; ns: number }> {
  const stats = (await (await fetch(`${s.http}/v2/models/${model}/stats`)).json()) as {
    model_stats: Array<{ inference_stats: { queue: { count: number; ns: number } } }>;
  };
  return stats.model_stats[0]!.inference_stats.queue;
}

describe('--rate-limit execution_count', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(['--rate-limit', 'execution_count', ...LOAD_MAIN], dir);
  });
  after(async () => {
    await s?.close();
  });

  // First: the order depends on the executions each instance has made, none yet here.
  test('priorities: while both wait, priority 1 runs twice per run of priority 2', async () => {
    await clearLogs();
    const held = await hold(s, 'blocker', 'hold-2');
    const calls: Array<Promise<number>> = [];
    for (let i = 0; i < 4; i++) calls.push(infer(s, 'alpha', `a${i}`));
    await eventually(async () => (await pending(s, 'alpha')) === 4);
    for (let i = 0; i < 4; i++) calls.push(infer(s, 'beta', `b${i}`));
    await eventually(async () => (await pending(s, 'beta')) === 4);
    await release('blocker', 'hold-2');
    await Promise.all([held.reply, ...calls]);
    const order = [...(await executions('alpha')), ...(await executions('beta'))]
      .sort((a, b) => (a.start < b.start ? -1 : 1))
      .map((e) => e.ids.join(','));
    // Lowest executions x priority first; ties to the one that waited longer. alpha (priority 1)
    // and beta (priority 2) alternate until beta's count doubles; then alpha runs twice in a row.
    assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1', 'a2', 'a3', 'b2', 'b3']);
  });
  test('models sharing a resource of count 1 never execute at the same time (direct and batched)', async () => {
    await clearLogs();
    const calls: Array<Promise<number>> = [];
    for (let i = 0; i < 6; i++) {
      for (const m of ['alpha', 'beta', 'gamma']) calls.push(infer(s, m, `${m}-${i}`));
    }
    await Promise.all(calls);
    const all = [...(await executions('alpha')), ...(await executions('beta')), ...(await executions('gamma'))].sort(
      (a, b) => (a.start < b.start ? -1 : 1),
    );
    assert.equal(
      all.reduce((n, e) => n + e.ids.length, 0),
      18,
    );
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1]!;
      const next = all[i]!;
      assert.ok(
        next.start >= prev.end,
        `${next.model} [${next.ids.join(',')}] started before ${prev.model} [${prev.ids.join(',')}] ended`,
      );
    }
  });

  test('a request waits while another model holds the resource; its queue time includes the wait', async () => {
    await clearLogs();
    const before = await queueStats(s, 'alpha');
    const held = await hold(s, 'blocker', 'hold-1');
    const waiting = infer(s, 'alpha', 'waits-1');
    await eventually(async () => (await pending(s, 'alpha')) === 1);
    // alpha's request is queued and cannot start while blocker holds gpu_mem.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await executions('alpha'), []);
    await release('blocker', 'hold-1');
    await Promise.all([held.reply, waiting]);
    const [b] = await executions('blocker');
    const [a] = await executions('alpha');
    assert.ok(a!.start >= b!.end, 'alpha started before blocker gave gpu_mem back');
    // The request was queued for at least the 300 ms above: its queue time has them.
    const after = await queueStats(s, 'alpha');
    assert.equal(after.count - before.count, 1);
    assert.ok(after.ns - before.ns >= 250e6, `queue time ${after.ns - before.ns} ns lacks the wait`);
  });
});

describe('tracing', () => {
  test("a request's trace puts the wait for resources between QUEUE_START and COMPUTE_START", async () => {
    await clearLogs();
    const file = join(dir, 'trace.json');
    const s = await startServer(
      [
        '--rate-limit',
        'execution_count',
        ...LOAD_MAIN,
        '--trace-config',
        `triton,file=${file}`,
        '--trace-config',
        'level=TIMESTAMPS',
        '--trace-config',
        'rate=1',
      ],
      dir,
    );
    try {
      const held = await hold(s, 'blocker', 'hold-traced');
      const waiting = infer(s, 'alpha', 'traced-wait');
      await eventually(async () => (await pending(s, 'alpha')) === 1);
      await new Promise((r) => setTimeout(r, 300));
      await release('blocker', 'hold-traced');
      await Promise.all([held.reply, waiting]);
    } finally {
      await s.close();
    }
    const records = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, unknown>>;
    const header = records.find((r) => r['request_id'] === 'traced-wait');
    assert.ok(header, 'alpha request traced');
    const stamps = new Map<string, number>();
    for (const r of records) {
      if (r['id'] !== header['id'] || !('timestamps' in r)) continue;
      for (const t of r['timestamps'] as Array<{ name: string; ns: number }>) stamps.set(t.name, t.ns);
    }
    const queued = stamps.get('COMPUTE_START')! - stamps.get('QUEUE_START')!;
    // Held back for at least the 300 ms above.
    assert.ok(queued >= 250e6, `QUEUE_START to COMPUTE_START is ${queued} ns`);
  });
});

describe('--rate-limit off (the default)', () => {
  test('rate_limiter blocks load and have no effect: the models run at the same time', async () => {
    await clearLogs();
    const s = await startServer(LOAD_MAIN, dir);
    try {
      const held = await hold(s, 'blocker', 'hold-3');
      await infer(s, 'alpha', 'free-1'); // completes while blocker still holds "gpu_mem"
      const [a] = await executions('alpha');
      assert.deepEqual(await executions('blocker'), []);
      await release('blocker', 'hold-3');
      await held.reply;
      const [b] = await executions('blocker');
      assert.ok(a!.start < b!.end && a!.end > b!.start, 'alpha and blocker overlapped');
    } finally {
      await s.close();
    }
  });
});

describe('load errors', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(
      ['--rate-limit', 'execution_count', '--rate-limit-resource', 'gpu_mem:1', '--model-control-mode', 'explicit'],
      dir,
    );
  });
  after(async () => {
    await s?.close();
  });

  async function load(model: string): Promise<{ status: number; error?: string }> {
    const r = await fetch(`${s.http}/v2/repository/models/${model}/load`, { method: 'POST' });
    const text = await r.text();
    return { status: r.status, ...(text ? (JSON.parse(text) as { error?: string }) : {}) };
  }

  test('a model asking for more than the server has fails to load, with Triton message', async () => {
    assert.deepEqual(await load('needy'), {
      status: 400,
      error:
        'failed to load \'needy\': Resource count for "gpu_mem" is limited to 1 which will prevent scheduling of ' +
        'one or more model instances, the minimum required count is 4',
    });
    const index = (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Array<{
      name: string;
      state?: string;
      reason?: string;
    }>;
    const row = index.find((m) => m.name === 'needy');
    assert.equal(row?.state, 'UNAVAILABLE');
    assert.match(row?.reason ?? '', /limited to 1/);
  });

  test('a resource global in one model and per device in another; an empty name', async () => {
    assert.equal((await load('alpha')).status, 200);
    const conflict = await load('everywhere');
    assert.equal(conflict.status, 400);
    assert.match(
      conflict.error ?? '',
      /Resource "gpu_mem" is present as both global and device-specific resource in the model configuration\./,
    );
    assert.deepEqual(await load('unnamed'), {
      status: 400,
      error: "model 'unnamed': instance_group[0].rate_limiter.resources[0].name must not be empty",
    });
    // The failures left nothing behind: alpha still serves.
    assert.equal(await infer(s, 'alpha', 'after-errors'), 200);
  });
});
