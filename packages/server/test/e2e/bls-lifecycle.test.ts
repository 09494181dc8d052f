/**
 * BLS calls over the real wire, their life and death: a call's timeout, cancellation when the
 * client goes away (the callee sees it), a model calling itself (freed by the default timeout,
 * without a restart), a caller waiting on a slow callee (not killed by its watchdog), the instance
 * terminated with a call in flight (the call is cancelled), dynamic batching of calls, statistics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { blsRepository, PROBE_TIMEOUT_MS } from '../helpers/bls-models.js';
import { only, probe, type Plan, type Protocol } from '../helpers/bls-probe.js';
import { grpc, grpcClient } from '../helpers/grpc-client.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';

let repo: { path: string; remove(): Promise<void> };
let s: TestServer;
let client: ReturnType<typeof grpcClient>;
before(async () => {
  repo = await blsRepository();
  s = await startServer([], repo.path);
  client = grpcClient(s.grpcPort);
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
});

const run = (protocol: Protocol, plan: Plan, id?: string) => probe(s, client, protocol, plan, id ? { id } : {});
const X = [{ name: 'X', datatype: 'INT32', shape: [1], data: [5] }];
/** wait_cancel's marker files: `started-<id>` when it got the request, `cancelled-<id>` when cancelled. */
const marker = (kind: 'started' | 'cancelled', id: string): boolean =>
  existsSync(join(repo.path, 'wait_cancel', `${kind}-${id}`));

interface Stats {
  inference_count: number;
  execution_count: number;
  inference_stats: Record<string, { count: number; ns: number }>;
  batch_stats: Array<{ batch_size: number; compute_infer: { count: number } }>;
}
async function stats(model: string): Promise<Stats> {
  const r = await fetch(`${s.http}/v2/models/${model}/stats`);
  return ((await r.json()) as { model_stats: Stats[] }).model_stats[0]!;
}

async function restarts(model: string, reason: string): Promise<number> {
  const text = await (await fetch(s.metrics)).text();
  const prefix = `tensorgate_model_instance_restarts_total{model="${model}",version="1",reason="${reason}"}`;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('BLS calls: timeouts and cancellation', () => {
  test('timeoutMs ends a call with DEADLINE_EXCEEDED, and the callee sees the cancellation', async () => {
    const r = only(await run('http', { call: { model: 'wait_cancel', id: 'timeout-1', timeoutMs: 300 }, inputs: X }));
    assert.equal(r.error?.code, 'DEADLINE_EXCEEDED');
    assert.match(r.error!.message, /the call to model 'wait_cancel' timed out after 300 ms/);
    await eventually(() => marker('cancelled', 'timeout-1'));
  });

  for (const protocol of ['http', 'grpc'] as const) {
    test(`the client going away (${protocol}) cancels the model's calls: the callee sees it`, async () => {
      const id = `gone-${protocol}`;
      const plan: Plan = { call: { model: 'wait_cancel', id, timeoutMs: 0 }, inputs: X };
      const controller = new AbortController();
      let call: grpc.ClientUnaryCall | undefined;
      const outcome = probe(s, client, protocol, plan, {
        signal: controller.signal,
        onCall: (c) => (call = c),
      });
      await eventually(() => marker('started', id));
      if (protocol === 'http') controller.abort();
      else call!.cancel();
      const got = await outcome;
      assert.equal(got.ok, false);
      await eventually(() => marker('cancelled', id));
      // The caller is free again.
      const next = only(
        await run(protocol, { call: { model: 'simple' }, inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }] }),
      );
      assert.equal(next.error, null);
    });
  }

  test('a model calling itself with one instance is freed by the default timeout, without a restart', async () => {
    const inner = JSON.stringify({ call: { model: 'simple' }, inputs: [] });
    const r = only(
      await run('grpc', {
        call: { model: 'bls_probe' },
        inputs: [{ name: 'PLAN', datatype: 'BYTES', shape: [1], data: [inner] }],
      }),
    );
    assert.equal(r.error?.code, 'DEADLINE_EXCEEDED');
    assert.match(
      r.error!.message,
      new RegExp(`timed out after ${PROBE_TIMEOUT_MS} ms \\(the calling model's execution_timeout_ms; set timeoutMs`),
    );
    assert.equal(await restarts('bls_probe', 'timeout'), 0, 'waiting on a call is not a stall');
    const next = only(
      await run('grpc', { call: { model: 'simple' }, inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }] }),
    );
    assert.equal(next.error, null);
  });

  test('a caller waiting on a slow callee longer than its own execution_timeout_ms is not stopped', async () => {
    const before = await stats('bls_probe');
    const sleepMs = PROBE_TIMEOUT_MS + 1000;
    const r = only(
      await run('http', {
        call: { model: 'wait_cancel', id: 'slow', timeoutMs: 60_000, parameters: { sleep_ms: sleepMs } },
        inputs: X,
      }),
    );
    assert.equal(r.error, null);
    assert.deepEqual(r.outputs['Y']!.data, [5]);
    assert.equal(await restarts('bls_probe', 'timeout'), 0);
    // The caller's compute time includes the wait.
    const after = await stats('bls_probe');
    const inferNs = after.inference_stats['compute_infer']!.ns - before.inference_stats['compute_infer']!.ns;
    assert.ok(inferNs >= sleepMs * 1e6, `caller compute_infer grew ${inferNs} ns, less than the ${sleepMs} ms wait`);
  });
});

describe('BLS calls: batching and statistics', () => {
  test("concurrent calls are batched by the callee's dynamic batcher", async () => {
    const before = await stats('batched');
    const all = await run('grpc', {
      mode: 'parallel',
      n: 4,
      call: { model: 'batched' },
      inputs: [{ name: 'X', datatype: 'INT32', shape: [1, 1], data: [5] }],
    });
    assert.ok(all.ok);
    assert.deepEqual(
      all.responses.map((r) => r.outputs['BS']!.data),
      [[4], [4], [4], [4]],
      'each call ran in a batch of 4',
    );
    const after = await stats('batched');
    assert.equal(after.inference_count - before.inference_count, 4);
    assert.equal(after.execution_count - before.execution_count, 1);
    assert.equal(after.batch_stats.find((b) => b.batch_size === 4)?.compute_infer.count, 1);
  });

  test("the callee's statistics count calls as requests, failures included", async () => {
    const before = await stats('simple');
    const ok = await run('http', {
      mode: 'parallel',
      n: 3,
      call: { model: 'simple' },
      inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }],
    });
    assert.ok(ok.ok);
    const bad = only(await run('http', { call: { model: 'simple' }, inputs: [{ from: 'INPUT0' }] }));
    assert.equal(bad.error?.code, 'INVALID_ARG');
    const after = await stats('simple');
    assert.equal(after.inference_count - before.inference_count, 3);
    assert.equal(after.inference_stats['success']!.count - before.inference_stats['success']!.count, 3);
    assert.equal(after.inference_stats['fail']!.count - before.inference_stats['fail']!.count, 1);
    assert.ok(after.execution_count > before.execution_count);
    const metrics = await (await fetch(s.metrics)).text();
    assert.match(metrics, /nv_inference_request_success\{model="simple",version="1"\} [1-9]/);
  });
});

describe('BLS calls: the instance terminated with a call in flight', () => {
  test('a caller blocking its thread is stopped by execution_timeout_ms, and its call is cancelled', async () => {
    const r = await run('grpc', {
      mode: 'spin',
      call: { model: 'wait_cancel', id: 'spin', timeoutMs: 0 },
      inputs: X,
    });
    assert.ok(!r.ok);
    assert.equal(r.status, grpc.status.INTERNAL);
    assert.match(r.message, new RegExp(`exceeded execution_timeout_ms \\(${PROBE_TIMEOUT_MS} ms\\)`));
    await eventually(() => marker('cancelled', 'spin'));
    assert.equal(await restarts('bls_probe', 'timeout'), 1);
    // The instance comes back and calls again.
    await eventually(async () => {
      const next = await run('http', { call: { model: 'simple' }, inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }] });
      return next.ok && next.responses[0]!.error === null;
    });
  });
});

describe('BLS calls: shutdown', () => {
  test('a request in flight when shutdown begins still makes its calls and gets its answer', async () => {
    const pending = run('http', {
      delayMs: 1000,
      call: { model: 'simple', outputs: ['OUTPUT0'] },
      inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }],
    });
    await eventually(async () => {
      const text = await (await fetch(s.metrics)).text();
      return text.includes('nv_inference_pending_request_count{model="bls_probe",version="1"} 1');
    });
    const closing = s.close(); // the server stops taking requests; this one's call comes after
    const r = only(await pending);
    assert.equal(r.error, null, 'the call made during the drain was served');
    assert.equal(r.outputs['OUTPUT0']!.data.length, 16);
    await closing;
  });
});
