/**
 * Scale-out, simulated on loopback (issue #14 item 6): three real `tensorgate serve` replicas
 * (two on the native gRPC transport, one on grpc-js), all with a short `--grpc-max-connection-age`;
 * @tensorgate/client balances a closed-loop load over them on gRPC (grpc-js round_robin over an
 * address list) and HTTP (the client's own round robin), with retries on and off.
 *
 * 1. Every replica serves a share, and the connections age out (GOAWAY) several times without a
 *    failed call: clients reconnect on their own, and a call refused unprocessed at a GOAWAY it
 *    crossed gets transparent retries (without retries, one refused at every try may still fail).
 * 2. One replica is SIGKILLed mid-load: the clients with retries lose no call; the clients
 *    without retries do (the calls in flight on the dead replica: they may have run, so only
 *    `retry` repeats them), which is what shows the test can fail.
 * 3. A second replica is drained with SIGTERM: the clients with retries lose no call and the
 *    replica exits 0.
 *
 * No timing thresholds: every wait polls for an eventual state (statistics, log lines, exits).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceClient, InferenceServerError, InferInput, type RetryOptions } from '@tensorgate/client';
import { eventually, EXAMPLES } from '../helpers/servers.js';
import {
  closedLoop,
  startReplica,
  stopReplica,
  successCount,
  type LoadRun,
  type Replica,
} from '../helpers/replicas.js';

const MODEL = 'sleep_ms';
const COMMON = [
  '--model-repository',
  EXAMPLES,
  '--model-control-mode',
  'explicit',
  '--load-model',
  MODEL,
  '--grpc-max-connection-age',
  '400',
  '--grpc-max-connection-age-grace',
  '30000',
];
const AGED_OUT = 'gRPC connection reached its maximum age: GOAWAY';

const replicas: Replica[] = [];
after(async () => {
  await Promise.all(replicas.map(stopReplica));
});

/** Each call sleeps 20 ms on the server, so every replica always has calls in flight. */
const inputs = [new InferInput('INPUT0', [1], 'UINT32').setData([20])];

/** The replica's `nv_inference_pending_request_count` for the model (calls queued, not yet running). */
async function pendingRequests(r: Replica): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.ports.metrics}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`nv_inference_pending_request_count{model="${MODEL}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A delta of successes per replica since `base`. */
async function servedSince(base: number[], live: Replica[]): Promise<number[]> {
  return Promise.all(live.map(async (r) => (await successCount(r, MODEL)) - base[replicas.indexOf(r)]!));
}

test('three replicas: balanced, aged out without failures, one killed and one drained mid-load', async (t) => {
  replicas.push(
    ...(await Promise.all([
      startReplica([...COMMON, '--log-level', 'debug']),
      startReplica([...COMMON, '--grpc-transport', 'grpc-js']),
      startReplica([...COMMON, '--log-level', 'debug']),
    ])),
  );
  const [r1, r2, r3] = replicas as [Replica, Replica, Replica];
  const on: RetryOptions = { maxAttempts: 5, initialDelayMs: 20, maxDelayMs: 200 };
  const grpcTargets = replicas.map((r) => r.grpc);
  const httpTargets = replicas.map((r) => r.http);
  const clients = {
    grpcRetries: InferenceClient.grpc(grpcTargets, { retry: on }),
    grpcNoRetries: InferenceClient.grpc(grpcTargets),
    httpRetries: InferenceClient.http(httpTargets, { retry: on }),
    httpNoRetries: InferenceClient.http(httpTargets),
  };
  const loads: Record<keyof typeof clients, LoadRun> = {
    grpcRetries: closedLoop(4, () => clients.grpcRetries.infer(MODEL, inputs, { timeoutMs: 30_000 })),
    grpcNoRetries: closedLoop(10, () => clients.grpcNoRetries.infer(MODEL, inputs, { timeoutMs: 30_000 })),
    httpRetries: closedLoop(4, () => clients.httpRetries.infer(MODEL, inputs, { timeoutMs: 30_000 })),
    httpNoRetries: closedLoop(8, () => clients.httpNoRetries.infer(MODEL, inputs, { timeoutMs: 30_000 })),
  };
  const failures = () => Object.fromEntries(Object.entries(loads).map(([k, l]) => [k, l.failures.length]));
  const describe = () =>
    JSON.stringify({
      failures: failures(),
      first: Object.values(loads).flatMap((l) => l.failures.slice(0, 2).map(String)),
    });
  try {
    // 1. Every replica serves a share while connections age out (GOAWAY) again and again.
    const zero = [0, 0, 0];
    await eventually(async () => {
      const served = await servedSince(zero, replicas);
      const agedOut = [r1, r3].map((r) => r.lines.filter((l) => l.includes(AGED_OUT)).length);
      return served.every((n) => n >= 25) && agedOut.every((n) => n >= 3);
    }, 600);
    assert.equal(loads.grpcRetries.failures.length, 0, `no call fails while connections age out: ${describe()}`);
    assert.equal(loads.httpRetries.failures.length, 0, `HTTP has no connection age: ${describe()}`);
    assert.equal(loads.httpNoRetries.failures.length, 0, `HTTP has no connection age: ${describe()}`);
    // Without retries, a gRPC call that crossed a GOAWAY is refused unprocessed (node:http2 accepts
    // no stream after one) and gets grpc-js' and the client's transparent retries; on a loaded
    // machine, whose event loops read GOAWAYs late, one may still cross a GOAWAY at every try.
    // Those, and only those, may fail: `notDelivered`, never run.
    for (const e of loads.grpcNoRetries.failures) {
      assert.ok(e instanceof InferenceServerError && e.code === 'UNAVAILABLE' && e.notDelivered, String(e));
    }
    const agedOutFailures = loads.grpcNoRetries.failures.length;
    // The grpc-js transport replica keeps serving across its own max-age GOAWAYs (no log of its own).
    const before2 = await successCount(r2, MODEL);
    await eventually(async () => (await successCount(r2, MODEL)) > before2 + 20, 600);

    // 2. SIGKILL one replica in the middle of the load.
    let base = await Promise.all(replicas.map((r) => successCount(r, MODEL)));
    // Kill it while calls wait in its queue (its pending-request gauge), so that calls of the
    // clients without retries are surely among those it takes down (they run 18 of the 26 loops).
    await eventually(async () => (await pendingRequests(r3)) >= 3, 600, 20);
    r3.child.kill('SIGKILL');
    assert.equal(await r3.exited, 'SIGKILL');
    await eventually(async () => (await servedSince(base, [r1, r2])).every((n) => n >= 30), 600);
    assert.equal(loads.grpcRetries.failures.length, 0, `gRPC with retries lost no call: ${describe()}`);
    assert.equal(loads.httpRetries.failures.length, 0, `HTTP with retries lost no call: ${describe()}`);
    const lost = loads.grpcNoRetries.failures.length - agedOutFailures + loads.httpNoRetries.failures.length;
    assert.ok(lost > 0, `without retries the calls in flight on the killed replica fail: ${describe()}`);
    for (const e of [...loads.grpcNoRetries.failures, ...loads.httpNoRetries.failures]) {
      assert.ok(e instanceof InferenceServerError && e.code === 'UNAVAILABLE', String(e));
    }

    // 3. SIGTERM another: it drains and exits 0; the clients with retries still lose nothing.
    base = await Promise.all(replicas.map((r) => successCount(r, MODEL).catch(() => 0)));
    r2.child.kill('SIGTERM');
    assert.equal(await r2.exited, 0, 'the drained replica exits 0');
    await eventually(async () => (await servedSince(base, [r1])).every((n) => n >= 30), 600);
    assert.equal(loads.grpcRetries.failures.length, 0, `gRPC with retries lost no call: ${describe()}`);
    assert.equal(loads.httpRetries.failures.length, 0, `HTTP with retries lost no call: ${describe()}`);
    const ok = Object.fromEntries(Object.entries(loads).map(([k, l]) => [k, l.ok()]));
    t.diagnostic(
      `calls served ${JSON.stringify(ok)}; failed ${JSON.stringify(failures())} (${agedOutFailures} aged out)`,
    );
  } finally {
    await Promise.all(Object.values(loads).map((l) => l.stop()));
    await Promise.all(Object.values(clients).map((c) => c.close()));
  }
});

test(
  'SIGTERM with HTTP calls in flight: they are answered, then the replica exits without waiting out keep-alive or exit timeouts',
  {
    timeout: 60_000,
  },
  async () => {
    // With a 600 s exit timeout and an hour of HTTP keep-alive, only a drain that ends when its
    // last call is answered finishes within the test's timeout: a keep-alive connection left open
    // after its response used to hold the process until one of those ran out.
    const r = await startReplica([...COMMON, '--exit-timeout-secs', '600', '--http-keepalive-timeout-secs', '3600']);
    replicas.push(r);
    // Three 1 s calls on two instances: once one is queued (the pending gauge), all three are in.
    const body = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [1000] }] });
    const calls = [1, 2, 3].map(() => fetch(`${r.http}/v2/models/${MODEL}/infer`, { method: 'POST', body }));
    await eventually(async () => (await pendingRequests(r)) >= 1, 300, 10);
    r.child.kill('SIGTERM');
    for (const res of await Promise.all(calls)) assert.equal(res.status, 200, await res.text());
    assert.equal(await r.exited, 0);
  },
);
