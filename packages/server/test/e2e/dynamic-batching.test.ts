/**
 * The dynamic batcher over the real wire. Small JS models report, per request, how many requests
 * their `execute` call received, and log every execution to a file in their model folder, so the
 * tests see real batches, queue limits, queue timeouts, cancellation and priorities from outside.
 *
 * A "gate" request (IN = -1) holds the model's only instance until the test creates the model's
 * `release` file, so later requests are known to wait in the queue. No test asserts on timings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpc, grpcClient, unaryError, type Msg } from '../helpers/grpc-client.js';
import { raw } from '../helpers/tensors.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';

const MODEL_JS = `import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export default class BatchProbe {
  initialize(args) {
    this.dir = args.model_repository;
  }
  async execute(requests) {
    appendFileSync(join(this.dir, 'executions.log'), requests.map((r) => r.id).join(',') + '\\n');
    for (const r of requests) {
      if (r.input('IN').data[0] === -1) {
        while (!existsSync(join(this.dir, 'release')) && !r.isCancelled()) await sleep(5);
      }
    }
    const total = requests.reduce((n, r) => n + r.batchSize, 0);
    return requests.map((r) => ({
      outputs: [
        { name: 'COUNT', data: new Int32Array(r.batchSize).fill(requests.length) },
        { name: 'TOTAL', data: new Int32Array(r.batchSize).fill(total) },
      ],
    }));
  }
}
`;

function config(name: string, maxBatch: number, batching: string): string {
  return `name: "${name}"
backend: "js"
max_batch_size: ${maxBatch}
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [
  { name: "COUNT" data_type: TYPE_INT32 dims: [ 1 ] },
  { name: "TOTAL" data_type: TYPE_INT32 dims: [ 1 ] }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
dynamic_batching { ${batching} }
`;
}

const MODELS: Record<string, string> = {
  batched: config('batched', 8, 'preferred_batch_size: [ 8 ] max_queue_delay_microseconds: 60000000'),
  limited: config('limited', 4, 'default_queue_policy { max_queue_size: 2 }'),
  timeouts: config(
    'timeouts',
    4,
    'default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 30000000 allow_timeout_override: true }',
  ),
  cancel: config('cancel', 4, ''),
  priority: config('priority', 1, 'priority_levels: 2 default_priority_level: 2'),
};

let dir: string;
let s: TestServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-batching-'));
  for (const [name, pbtxt] of Object.entries(MODELS)) {
    await mkdir(join(dir, name, '1'), { recursive: true });
    await writeFile(join(dir, name, 'config.pbtxt'), pbtxt);
    await writeFile(join(dir, name, '1', 'model.js'), MODEL_JS);
  }
  s = await startServer([], dir);
});
after(async () => {
  for (const name of Object.keys(MODELS)) await release(name); // never leave a gate closed
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

interface InferBody {
  id?: string;
  error?: string;
  outputs?: Array<{ name: string; data: number[] }>;
}

/** One HTTP inference of `batch` rows of IN = `value`. */
async function infer(
  model: string,
  id: string,
  opts: { value?: number; batch?: number; parameters?: Record<string, number>; signal?: AbortSignal } = {},
): Promise<{ status: number; body: InferBody }> {
  const batch = opts.batch ?? 1;
  const r = await fetch(`${s.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      id,
      ...(opts.parameters ? { parameters: opts.parameters } : {}),
      inputs: [{ name: 'IN', shape: [batch, 1], datatype: 'INT32', data: Array(batch).fill(opts.value ?? 1) }],
    }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { status: r.status, body: (await r.json()) as InferBody };
}

const output = (body: InferBody, name: string): number[] => body.outputs!.find((o) => o.name === name)!.data;

/** The ids of each execution, one batch per entry. */
async function executions(model: string): Promise<string[]> {
  const text = await readFile(join(dir, model, 'executions.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

async function release(model: string): Promise<void> {
  await writeFile(join(dir, model, 'release'), '').catch(() => {});
}

/**
 * Starts a gate request and waits until it holds the instance; returns the gate's reply, wrapped
 * (an async function returning a bare promise would wait for it).
 */
async function closeGate(model: string): Promise<{ reply: Promise<{ status: number; body: InferBody }> }> {
  const reply = infer(model, 'gate', { value: -1 });
  await eventually(async () => (await executions(model)).includes('gate'));
  return { reply };
}

/** Requests queued or executing for a model, from the metrics endpoint. */
async function pending(model: string): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`nv_inference_pending_request_count{model="${model}",version="1"}`));
  return Number(line?.split(' ').pop() ?? NaN);
}

const grpcRequest = (model: string, id: string, parameters: Msg = {}): Msg => ({
  model_name: model,
  id,
  parameters,
  inputs: [{ name: 'IN', datatype: 'INT32', shape: [1, 1] }],
  raw_input_contents: [raw('INT32', [1])],
});

// Each test is bounded: a broken batcher fails it instead of leaving a request waiting forever.
// The bound is generous (a loaded CI machine is slow) and is never what a passing test measures.
// The batched model's 60 s queue delay never elapses in a passing run either: its batches are
// sent when they reach the preferred size, however slowly the requests arrive.
describe('dynamic batching over the wire', { timeout: 90_000 }, () => {
  test('8 concurrent requests (HTTP and gRPC) execute as one batch of 8, and statistics show it', async () => {
    const client = grpcClient(s.grpcPort);
    try {
      const http = Array.from({ length: 4 }, (_, i) => infer('batched', `h${i}`));
      const grpcCalls = Array.from(
        { length: 4 },
        (_, i) =>
          new Promise<Msg>((resolve, reject) =>
            client['ModelInfer'](grpcRequest('batched', `g${i}`), (err: Error | null, res: Msg) =>
              err ? reject(err) : resolve(res),
            ),
          ),
      );
      for (const r of await Promise.all(http)) {
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.deepEqual(output(r.body, 'COUNT'), [8]);
      }
      for (const res of await Promise.all(grpcCalls)) {
        const idx = res['outputs'].findIndex((o: Msg) => o['name'] === 'COUNT');
        assert.equal(Buffer.from(res['raw_output_contents'][idx]).readInt32LE(0), 8);
      }
    } finally {
      client.close();
    }
    // Requests that already carry a batch are batched too: 4 + 4 rows in one execution.
    const [a, b] = await Promise.all([infer('batched', 'r1', { batch: 4 }), infer('batched', 'r2', { batch: 4 })]);
    assert.deepEqual(output(a.body, 'COUNT'), [2, 2, 2, 2]);
    assert.deepEqual(output(b.body, 'TOTAL'), [8, 8, 8, 8]);

    const stats = (await (await fetch(`${s.http}/v2/models/batched/stats`)).json()) as {
      model_stats: Array<{
        inference_count: number;
        execution_count: number;
        batch_stats: Array<{ batch_size: number; compute_infer: { count: number } }>;
      }>;
    };
    const m = stats.model_stats[0]!;
    assert.equal(m.inference_count, 16);
    assert.equal(m.execution_count, 2);
    assert.deepEqual(
      m.batch_stats.map((row) => [row.batch_size, row.compute_infer.count]),
      [[8, 2]],
    );
    // Prometheus sees the same real batches: 2 executions for 16 inferences.
    const metrics = await (await fetch(s.metrics)).text();
    const metric = (name: string) =>
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(`${name}{model="batched",version="1"}`))
          ?.split(' ')
          .pop(),
      );
    assert.equal(metric('nv_inference_exec_count'), 2);
    assert.equal(metric('nv_inference_count'), 16);
    assert.equal(metric('nv_inference_request_success'), 10);
    const runs = await executions('batched');
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[0]!.split(',').sort(), ['g0', 'g1', 'g2', 'g3', 'h0', 'h1', 'h2', 'h3']);
  });

  test('a full queue answers 429 on HTTP and RESOURCE_EXHAUSTED on gRPC at once, and the server keeps serving', async () => {
    const gate = await closeGate('limited');
    // The instance is busy: two requests fill the queue (max_queue_size 2), the third is refused.
    const calls = ['q1', 'q2', 'q3'].map((id) => infer('limited', id));
    const first = await Promise.race(calls);
    assert.equal(first.status, 429);
    assert.match(
      first.body.error ?? '',
      /^inference request for model 'limited' rejected: Exceeds maximum queue size \(max_queue_size 2\)$/,
    );
    const client = grpcClient(s.grpcPort);
    try {
      const err = await unaryError(client, 'ModelInfer', grpcRequest('limited', 'g1'));
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(err.details, /Exceeds maximum queue size/);
    } finally {
      client.close();
    }
    await release('limited');
    assert.equal((await gate.reply).status, 200);
    const statuses = (await Promise.all(calls)).map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal((await infer('limited', 'after')).status, 200);
    const runs = await executions('limited');
    assert.equal(runs.length, 3); // gate, the two queued ones together, 'after'
    assert.equal(runs[1]!.split(',').length, 2);
  });

  test('a request whose queue timeout expires (REJECT) fails clearly and never executes', async () => {
    const gate = await closeGate('timeouts');
    // The policy allows a request to shorten the 30 s default: 50 ms here.
    const late = await infer('timeouts', 'late', { parameters: { timeout: 50_000 } });
    assert.equal(late.status, 503);
    assert.match(
      late.body.error ?? '',
      /^Request timeout expired: the request for model 'timeouts' waited in the queue/,
    );
    await release('timeouts');
    assert.equal((await gate.reply).status, 200);
    assert.deepEqual(await executions('timeouts'), ['gate']);
  });

  test('a queued request cancelled by the client (gRPC cancel, HTTP abort) never executes', async () => {
    const gate = await closeGate('cancel');
    const client = grpcClient(s.grpcPort);
    try {
      const failed = new Promise<grpc.ServiceError>((resolve) => {
        const call = client['ModelInfer'](grpcRequest('cancel', 'doomed-grpc'), (err: grpc.ServiceError | null) =>
          resolve(err!),
        );
        void eventually(async () => (await pending('cancel')) === 2).then(() => call.cancel());
      });
      assert.equal((await failed).code, grpc.status.CANCELLED);
      await eventually(async () => (await pending('cancel')) === 1);
    } finally {
      client.close();
    }
    const ac = new AbortController();
    const aborted = infer('cancel', 'doomed-http', { signal: ac.signal }).catch((e: Error) => e);
    await eventually(async () => (await pending('cancel')) === 2);
    ac.abort();
    assert.ok((await aborted) instanceof Error);
    await eventually(async () => (await pending('cancel')) === 1);
    await release('cancel');
    assert.equal((await gate.reply).status, 200);
    assert.equal((await infer('cancel', 'after')).status, 200);
    assert.deepEqual(await executions('cancel'), ['gate', 'after']);
  });

  test('higher priority requests run first (priority 1 before the default level 2)', async () => {
    const gate = await closeGate('priority');
    const calls: Array<Promise<unknown>> = [];
    const queue = async (id: string, parameters?: Record<string, number>) => {
      const before = await pending('priority');
      calls.push(infer('priority', id, parameters ? { parameters } : {}));
      await eventually(async () => (await pending('priority')) === before + 1); // arrival order is fixed
    };
    await queue('low1');
    await queue('low2', { priority: 2 });
    await queue('high', { priority: 1 });
    await queue('clamped', { priority: 7 }); // above priority_levels: the default level
    await release('priority');
    await gate.reply;
    await Promise.all(calls);
    assert.deepEqual(await executions('priority'), ['gate', 'high', 'low1', 'low2', 'clamped']);
  });
});
