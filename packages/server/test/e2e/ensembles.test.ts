/**
 * Ensembles over the real wire (HTTP, gRPC ModelInfer, ModelStreamInfer, generate_stream), with
 * real JS composing models written into a temporary repository: pipelines, parallel branches,
 * nesting, versions, batching by a composing model's dynamic batcher, decoupled steps,
 * cancellation, errors, classification, statistics and metrics. No test asserts on timings:
 * models leave marker files, and tests wait for eventual state.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcClient, streamAll, unary, unaryError, grpc, type Msg } from '../helpers/grpc-client.js';
import { raw, values } from '../helpers/tensors.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';
import { writeEnsemble, writeJsModel } from '../helpers/ensemble-models.js';

let repo: string;
let s: TestServer;
let client: ReturnType<typeof grpcClient>;

before(async () => {
  repo = await mkdtemp(join(tmpdir(), 'tg-ensembles-'));
  const w = writeJsModel.bind(null, repo);
  const e = writeEnsemble.bind(null, repo);
  await w('add1', { kind: 'affine', parameters: { add: 1 } });
  await w('double', { kind: 'affine', parameters: { mul: 2 } });
  await e('pipe', {
    steps: [
      { model: 'add1', input: { X: 'IN' }, output: { Y: 'tmp' } },
      { model: 'double', input: { X: 'tmp' }, output: { Y: 'OUT' } },
    ],
  });
  await w('split', { kind: 'affine' });
  await w('left', { kind: 'rendezvous', parameters: { me: 'left', other: 'right', add: 1 } });
  await w('right', { kind: 'rendezvous', parameters: { me: 'right', other: 'left', add: 100 } });
  await w('join', { kind: 'sum' });
  await e('diamond', {
    steps: [
      { model: 'split', input: { X: 'IN' }, output: { Y: 'copy' } },
      { model: 'left', input: { X: 'copy' }, output: { Y: 'l' } },
      { model: 'right', input: { X: 'copy' }, output: { Y: 'r' } },
      { model: 'join', input: { A: 'l', B: 'r' }, output: { Y: 'OUT' } },
    ],
  });
  await w('add10', { kind: 'affine', parameters: { add: 10 } });
  await e('outer', {
    steps: [
      { model: 'pipe', input: { IN: 'IN' }, output: { OUT: 'inner' } },
      { model: 'add10', input: { X: 'inner' }, output: { Y: 'OUT' } },
    ],
  });
  await w('versioned', {
    kind: 'affine',
    parameters: { per_version: 1000 },
    versions: [1, 2],
    extra: 'version_policy { all { } }',
  });
  await e('pin_v1', { steps: [{ model: 'versioned', version: 1, input: { X: 'IN' }, output: { Y: 'OUT' } }] });
  await e('latest', { steps: [{ model: 'versioned', input: { X: 'IN' }, output: { Y: 'OUT' } }] });
  await w('batched', {
    kind: 'affine',
    extra: 'dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 60000000 }',
  });
  await e('batch_pipe', { steps: [{ model: 'batched', input: { X: 'IN' }, output: { Y: 'OUT' } }] });
  await w('fanout', {
    kind: 'fanout',
    maxBatch: 0,
    parameters: { count: 3 },
    extra: 'model_transaction_policy { decoupled: true }',
  });
  await w('add1nb', { kind: 'affine', maxBatch: 0, parameters: { add: 1 } });
  await e('stream_mid', {
    maxBatch: 0,
    steps: [
      { model: 'fanout', input: { X: 'IN' }, output: { Y: 'each' } },
      { model: 'add1nb', input: { X: 'each' }, output: { Y: 'OUT' } },
    ],
  });
  await e('stream_last', {
    maxBatch: 0,
    steps: [
      { model: 'add1nb', input: { X: 'IN' }, output: { Y: 'first' } },
      { model: 'fanout', input: { X: 'first' }, output: { Y: 'OUT' } },
    ],
  });
  await w('hold_a', { kind: 'hold' });
  await w('hold_b', { kind: 'hold' });
  await e('held', {
    outputs: ['O1', 'O2'],
    steps: [
      { model: 'hold_a', input: { X: 'IN' }, output: { Y: 'O1' } },
      { model: 'hold_b', input: { X: 'IN' }, output: { Y: 'O2' } },
    ],
  });
  await w('boom', { kind: 'boom' });
  await e('efail', {
    steps: [
      { model: 'add1', input: { X: 'IN' }, output: { Y: 'tmp' } },
      { model: 'boom', input: { X: 'tmp' }, output: { Y: 'OUT' } },
    ],
  });
  await e('variable', {
    inputs: ['IN:FP32:-1'],
    outputs: ['OUT:FP32:-1'],
    steps: [{ model: 'add1', input: { X: 'IN' }, output: { Y: 'OUT' } }],
  });
  await e('classify', {
    outputs: ['OUT:FP32:4:labels.txt'],
    steps: [{ model: 'double', input: { X: 'IN' }, output: { Y: 'OUT' } }],
    files: { 'labels.txt': 'cat\ndog\nbird\nfish\n' },
  });
  await w('s1', { kind: 'affine', parameters: { add: 1 } });
  await w('s2', { kind: 'affine', parameters: { mul: 3 } });
  await e('stats_pipe', {
    steps: [
      { model: 's1', input: { X: 'IN' }, output: { Y: 'mid' } },
      { model: 's2', input: { X: 'mid' }, output: { Y: 'OUT' } },
    ],
  });
  s = await startServer([], repo);
  client = grpcClient(s.grpcPort);
});

after(async () => {
  client?.close();
  await s?.close();
  await rm(repo, { recursive: true, force: true });
});

interface InferBody {
  error?: string;
  model_name?: string;
  outputs?: Array<{ name: string; shape: number[]; datatype: string; data: Array<number | string> }>;
}

async function httpInfer(
  model: string,
  data: number[],
  opts: { id?: string; shape?: number[]; outputs?: unknown[]; signal?: AbortSignal } = {},
): Promise<{ status: number; body: InferBody }> {
  const r = await fetch(`${s.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      ...(opts.id ? { id: opts.id } : {}),
      inputs: [{ name: 'IN', shape: opts.shape ?? [1, data.length], datatype: 'FP32', data }],
      ...(opts.outputs ? { outputs: opts.outputs } : {}),
    }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { status: r.status, body: (await r.json()) as InferBody };
}

const out = (body: InferBody, name = 'OUT'): Array<number | string> => body.outputs!.find((o) => o.name === name)!.data;

const grpcRequest = (model: string, data: number[], id = '', shape = [1, data.length]): Msg => ({
  model_name: model,
  id,
  inputs: [{ name: 'IN', datatype: 'FP32', shape }],
  raw_input_contents: [raw('FP32', data)],
});

const grpcOut = (res: Msg, name = 'OUT'): Array<number | boolean | string> => {
  const i = res['outputs'].findIndex((o: Msg) => o['name'] === name);
  return values('FP32', res['raw_output_contents'][i]);
};

async function stats(model: string): Promise<Msg> {
  const r = await fetch(`${s.http}/v2/models/${model}/stats`);
  return ((await r.json()) as { model_stats: Msg[] }).model_stats[0]!;
}

/** The value of metric `name` on the series with `labels` (in any order), NaN when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => {
    if (!l.startsWith(`${name}{`)) return false;
    const got = l.slice(name.length + 1, l.indexOf('}')).split(',');
    return got.length === pairs.length && pairs.every((p) => got.includes(p));
  });
  return Number(line?.split(' ').pop() ?? NaN);
}

describe('ensembles over the wire', { timeout: 120_000 }, () => {
  test('a linear pipeline over HTTP, gRPC ModelInfer and ModelStreamInfer', async () => {
    const h = await httpInfer('pipe', [1, 2, 3, 4, 5, 6, 7, 8], { shape: [2, 4] });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.model_name, 'pipe');
    assert.deepEqual(h.body.outputs![0]!.shape, [2, 4]);
    assert.deepEqual(out(h.body), [4, 6, 8, 10, 12, 14, 16, 18]);
    const g = await unary(client, 'ModelInfer', grpcRequest('pipe', [0, 1, 2, 3], 'g1'));
    assert.equal(g['id'], 'g1');
    assert.deepEqual(grpcOut(g), [2, 4, 6, 8]);
    const streamed = await streamAll(client, [
      grpcRequest('pipe', [1, 1, 1, 1], 'st1'),
      grpcRequest('pipe', [2, 2, 2, 2], 'st2'),
    ]);
    assert.deepEqual(
      streamed.map((m) => [m['error_message'], m['infer_response'].id, grpcOut(m['infer_response'])[0]]).sort(),
      [
        ['', 'st1', 4],
        ['', 'st2', 6],
      ],
    );
  });

  test('a diamond runs its two branches in parallel (each branch waits for the other to start)', async () => {
    const h = await httpInfer('diamond', [1, 2, 3, 4], { id: 'dia-http' });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.deepEqual(out(h.body), [103, 105, 107, 109]);
    const g = await unary(client, 'ModelInfer', grpcRequest('diamond', [0, 0, 0, 0], 'dia-grpc'));
    assert.deepEqual(grpcOut(g), [101, 101, 101, 101]);
    assert.ok(existsSync(join(repo, 'started-left-dia-grpc')) && existsSync(join(repo, 'started-right-dia-grpc')));
  });

  test('a nested ensemble runs the inner ensemble as a step', async () => {
    const h = await httpInfer('outer', [1, 2, 3, 4]);
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.deepEqual(out(h.body), [14, 16, 18, 20]);
    // The inner ensemble counted the request too.
    assert.ok((await stats('pipe'))['inference_stats'].success.count >= 1);
  });

  test('a fixed step version runs that version; -1 runs the latest', async () => {
    assert.deepEqual(out((await httpInfer('pin_v1', [1, 1, 1, 1])).body), [1001, 1001, 1001, 1001]);
    assert.deepEqual(out((await httpInfer('latest', [1, 1, 1, 1])).body), [2001, 2001, 2001, 2001]);
  });

  test("many concurrent ensemble calls are batched by the composing model's dynamic batcher", async () => {
    const calls = Array.from({ length: 8 }, (_, i) =>
      unary(client, 'ModelInfer', grpcRequest('batch_pipe', [i, i, i, i], `b${i}`)),
    );
    const results = await Promise.all(calls);
    results.forEach((r, i) => assert.deepEqual(grpcOut(r), [i, i, i, i]));
    const batched = await stats('batched');
    const sizes = (batched['batch_stats'] as Msg[]).map((b) => Number(b['batch_size']));
    assert.ok(
      sizes.some((n) => n > 1),
      `batched executed batches of ${JSON.stringify(sizes)}`,
    );
    assert.equal(Number(batched['inference_count']), 8);
    assert.ok(Number(batched['execution_count']) < 8);
    // The ensemble's own batch dim passes through: a batch of 4 rows in (a preferred batch), 4 out.
    const four = await httpInfer(
      'batch_pipe',
      [...Array(4).keys()].flatMap((i) => [i, i, i, i]),
      { shape: [4, 4] },
    );
    assert.deepEqual(four.body.outputs![0]!.shape, [4, 4]);
    assert.deepEqual(out(four.body), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  test('a decoupled step streams: downstream runs once per response, over ModelStreamInfer and generate_stream', async () => {
    const cfg = (await (await fetch(`${s.http}/v2/models/stream_mid/config`)).json()) as Msg;
    assert.equal(cfg['model_transaction_policy'].decoupled, true, 'an ensemble with a decoupled step is decoupled');
    const streamed = await streamAll(client, [
      {
        model_name: 'stream_mid',
        id: 'sm',
        inputs: [{ name: 'IN', datatype: 'FP32', shape: [4] }],
        raw_input_contents: [raw('FP32', [10, 10, 10, 10])],
      },
    ]);
    const withData = streamed.filter((m) => m['infer_response'].raw_output_contents.length > 0);
    assert.deepEqual(withData.map((m) => grpcOut(m['infer_response'])[0]).sort(), [11, 12, 13]);
    assert.ok(streamed.every((m) => m['error_message'] === ''));
    // generate_stream: one SSE event per response.
    const r = await fetch(`${s.http}/v2/models/stream_last/generate_stream`, {
      method: 'POST',
      body: JSON.stringify({ IN: [0, 0, 0, 0] }),
    });
    assert.equal(r.status, 200);
    const events = (await r.text())
      .split('\n\n')
      .filter((b) => b.startsWith('data: '))
      .map((b) => JSON.parse(b.slice(6)) as Msg);
    assert.deepEqual(events.map((ev) => (ev['OUT'] as number[])[0]).sort(), [1, 2, 3]);
    // Unary inference refuses a decoupled ensemble, as Triton does.
    const err = await unaryError(client, 'ModelInfer', { ...grpcRequest('stream_mid', [1, 1, 1, 1], '', [4]) });
    assert.equal(err.code, grpc.status.UNIMPLEMENTED);
    assert.match(err.details, /model 'stream_mid' is decoupled/);
  });

  test('a client that goes away cancels every step; nothing keeps running (HTTP, gRPC deadline, stream cancel)', async () => {
    const waitStarted = (id: string): Promise<void> =>
      eventually(
        () =>
          existsSync(join(repo, `hold-started-hold_a-${id}`)) && existsSync(join(repo, `hold-started-hold_b-${id}`)),
      );
    const waitCancelled = (id: string): Promise<void> =>
      eventually(
        () =>
          existsSync(join(repo, `hold-cancelled-hold_a-${id}`)) &&
          existsSync(join(repo, `hold-cancelled-hold_b-${id}`)),
        300,
      );
    // HTTP: the client aborts.
    const ac = new AbortController();
    const pending = httpInfer('held', [1, 2, 3, 4], { id: 'c-http', signal: ac.signal }).catch((e: unknown) => e);
    await waitStarted('c-http');
    ac.abort();
    await pending;
    await waitCancelled('c-http');
    // gRPC: a deadline passes.
    const late = unaryError(client, 'ModelInfer', grpcRequest('held', [1, 2, 3, 4], 'c-deadline'), {
      deadline: Date.now() + 1500,
    });
    await waitCancelled('c-deadline');
    assert.equal((await late).code, grpc.status.DEADLINE_EXCEEDED);
    // ModelStreamInfer: the client cancels the stream.
    const call = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
    call.on('error', () => {});
    call.write(grpcRequest('held', [1, 2, 3, 4], 'c-stream'));
    await waitStarted('c-stream');
    call.cancel();
    await waitCancelled('c-stream');
    // Nothing is left in flight: not the ensemble, not its steps.
    for (const model of ['held', 'hold_a', 'hold_b']) {
      await eventually(async () => (await metric('nv_inference_pending_request_count', { model, version: '1' })) === 0);
    }
  });

  test('errors name the ensemble, the failing step and its model', async () => {
    const h = await httpInfer('efail', [1, 2, 3, 4]);
    assert.equal(h.status, 500);
    assert.match(h.body.error!, /^in ensemble 'efail', step 1 \(model 'boom'\): .*model exploded/);
    const g = await unaryError(client, 'ModelInfer', grpcRequest('efail', [1, 2, 3, 4]));
    assert.equal(g.code, grpc.status.INTERNAL);
    assert.match(g.details, /^in ensemble 'efail', step 1 \(model 'boom'\): /);
    // A step that refuses what reaches it (the ensemble takes any length, add1 only 4).
    const v = await httpInfer('variable', [1, 2, 3]);
    assert.equal(v.status, 400);
    assert.match(v.body.error!, /^in ensemble 'variable', step 0 \(model 'add1'\): .*X/);
    assert.deepEqual(out((await httpInfer('variable', [1, 2, 3, 4])).body), [2, 3, 4, 5]);
    // The ensemble validates its own inputs first.
    const bad = await httpInfer('pipe', [1, 2, 3]);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error!, /pipe/);
  });

  test("classification of an ensemble output uses the ensemble's label file", async () => {
    const h = await httpInfer('classify', [1, 4, 2, 3], {
      outputs: [{ name: 'OUT', parameters: { classification: 2 } }],
    });
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.deepEqual(out(h.body), ['8.000000:1:dog', '6.000000:3:fish']);
  });

  test('metadata, config and the repository index show ensembles', async () => {
    const md = (await (await fetch(`${s.http}/v2/models/pipe`)).json()) as Msg;
    assert.deepEqual(md, {
      name: 'pipe',
      versions: ['1'],
      platform: 'ensemble',
      inputs: [{ name: 'IN', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'OUT', datatype: 'FP32', shape: [-1, 4] }],
    });
    const cfg = (await (await fetch(`${s.http}/v2/models/pipe/config`)).json()) as Msg;
    assert.equal(cfg['platform'], 'ensemble');
    assert.equal(cfg['backend'], '');
    assert.deepEqual(
      cfg['ensemble_scheduling'].step.map((st: Msg) => [
        st['model_name'],
        st['model_version'],
        st['input_map'],
        st['output_map'],
      ]),
      [
        ['add1', -1, { X: 'IN' }, { Y: 'tmp' }],
        ['double', -1, { X: 'tmp' }, { Y: 'OUT' }],
      ],
    );
    assert.equal(cfg['model_transaction_policy'].decoupled, false);
    const grpcCfg = await unary(client, 'ModelConfig', { name: 'pipe' });
    assert.equal(grpcCfg['config'].ensemble_scheduling.step.length, 2);
    const index = (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Msg[];
    assert.deepEqual(
      index.find((row) => row['name'] === 'pipe'),
      { name: 'pipe', version: '1', state: 'READY', reason: '' },
    );
    assert.equal((await fetch(`${s.http}/v2/models/pipe/ready`)).status, 200);
  });

  test('statistics and metrics: the ensemble sums its steps compute times; every composing model counts its requests', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await httpInfer('stats_pipe', [1, 2, 3, 4])).status, 200);
    const [e, a, b] = [await stats('stats_pipe'), await stats('s1'), await stats('s2')];
    for (const st of [e, a, b]) {
      assert.equal(st['inference_stats'].success.count, 3);
      assert.equal(Number(st['inference_count']), 3);
      assert.equal(Number(st['execution_count']), 3);
    }
    for (const phase of ['compute_input', 'compute_infer', 'compute_output']) {
      assert.equal(
        Number(e['inference_stats'][phase].ns),
        Number(a['inference_stats'][phase].ns) + Number(b['inference_stats'][phase].ns),
        `${phase} of the ensemble is the sum of its steps'`,
      );
    }
    // The ensemble's request time covers its steps'.
    assert.ok(Number(e['inference_stats'].success.ns) >= Number(a['inference_stats'].success.ns));
    assert.deepEqual(
      (e['batch_stats'] as Msg[]).map((row) => [Number(row['batch_size']), Number(row['compute_infer'].count)]),
      [[1, 3]],
    );
    for (const model of ['stats_pipe', 's1', 's2']) {
      assert.equal(await metric('nv_inference_request_success', { model, version: '1' }), 3);
      assert.equal(await metric('nv_inference_exec_count', { model, version: '1' }), 3);
    }
    // A failed ensemble request: OTHER for the ensemble, BACKEND for the step that failed.
    const failures = await metric('nv_inference_request_failure', { model: 'efail', version: '1', reason: 'OTHER' });
    assert.ok(failures >= 1, `efail OTHER failures: ${failures}`);
    assert.ok((await metric('nv_inference_request_failure', { model: 'boom', version: '1', reason: 'BACKEND' })) >= 1);
  });
});
