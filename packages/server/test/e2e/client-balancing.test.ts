/**
 * @tensorgate/client's connection behaviour against a real server: a server that is not up yet
 * fails calls with UNAVAILABLE marked `notDelivered` (safe to retry, even for a sequence
 * request), `waitForReady` calls wait for it instead, and a `dns:///` target is balanced by
 * grpc-js' round_robin over what the name resolves to. (Balancing over three replicas, kills
 * and drains: scale-out.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import { DEFAULT_GRPC_KEEPALIVE, InferenceClient, InferenceServerError, InferInput } from '@tensorgate/client';
import { startLoggedServer, startServer } from '../helpers/servers.js';

/** A loopback port nothing listens on (for now). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const inputs = [new InferInput('INPUT0', [1], 'UINT32').setData([1])];

test('no server yet: UNAVAILABLE notDelivered; with waitForReady the call waits for the server', async () => {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const grpc = InferenceClient.grpc(`127.0.0.1:${grpcPort}`);
  const http = InferenceClient.http(`http://127.0.0.1:${httpPort}`);
  try {
    for (const client of [grpc, http]) {
      await assert.rejects(
        client.infer('sleep_ms', inputs, { timeoutMs: 20_000, sequenceId: 7, retry: { maxAttempts: 1 } }),
        (e: unknown) => e instanceof InferenceServerError && e.code === 'UNAVAILABLE' && e.notDelivered,
      );
    }
    const waiting = [grpc, http].map((c) => c.infer('sleep_ms', inputs, { timeoutMs: 60_000, waitForReady: true }));
    await new Promise((r) => setTimeout(r, 300));
    const server = await startServer(['--grpc-port', String(grpcPort), '--http-port', String(httpPort)]);
    try {
      for (const result of await Promise.all(waiting)) assert.deepEqual(result.asArray('OUTPUT0'), [1]);
    } finally {
      await server.close();
    }
  } finally {
    await Promise.all([grpc.close(), http.close()]);
  }
});

test('a dns:/// target reaches the server through round_robin', async () => {
  const server = await startServer();
  const client = InferenceClient.grpc(`dns:///localhost:${server.grpcPort}`);
  try {
    // localhost may resolve to ::1 as well, where nothing listens: round_robin uses the address that answers.
    for (let i = 0; i < 4; i++)
      assert.equal(await client.isServerReady({ timeoutMs: 20_000, waitForReady: true }), true);
  } finally {
    await client.close();
    await server.close();
  }
});

test('keepalive: the default ratio to the server ping policy earns no GOAWAY; pinging faster does', async () => {
  // The defaults scaled down 1000:1: the server's 300000 ms minimum ping interval (2 strikes
  // allowed) becomes 200 ms, the client's 360000 ms keepalive (the minimum + 20%) becomes 240 ms.
  const ratio = DEFAULT_GRPC_KEEPALIVE.timeMs / 300_000;
  assert.equal(ratio, 1.2);
  assert.equal(DEFAULT_GRPC_KEEPALIVE.permitWithoutCalls, false, 'servers allow pings without calls 2-hourly only');
  const server = await startLoggedServer([
    '--grpc-http2-min-recv-ping-interval-without-data',
    '200',
    '--grpc-http2-max-ping-strikes',
    '2',
  ]);
  const target = `127.0.0.1:${server.grpcPort}`;
  const polite = InferenceClient.grpc(target, { keepalive: { timeMs: 200 * ratio } });
  const eager = InferenceClient.grpc(target, { keepalive: { timeMs: 40 } });
  const silent = [new InferInput('INPUT0', [1], 'UINT32').setData([2000])]; // 2 s without a byte sent back
  try {
    const [a, b] = await Promise.allSettled([
      polite.infer('sleep_ms', silent, { timeoutMs: 30_000 }),
      eager.infer('sleep_ms', silent, { timeoutMs: 30_000 }),
    ]);
    assert.equal(a.status, 'fulfilled', String((a as PromiseRejectedResult).reason));
    assert.equal(b.status, 'rejected');
    const shed = server.logs.filter((l) => l['reason'] === 'too_many_pings');
    assert.equal(shed.length, 1, JSON.stringify(shed));
  } finally {
    await Promise.all([polite.close(), eager.close()]);
    await server.close();
  }
});
