/**
 * SIGTERM with a request in flight on a keep-alive HTTP connection (as every HTTP client pools
 * them, and as a container's `stop` meets them): once the request has its answer the server exits,
 * without waiting for the keep-alive or exit timeout. Both are set to an hour here, so a server that
 * waited would time the test out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EXAMPLES } from '../helpers/servers.js';

const BIN = fileURLToPath(new URL('../../bin/tensorgate.js', import.meta.url));

test('SIGTERM: a keep-alive connection with a request in flight does not hold the exit', async (t) => {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--model-repository',
      EXAMPLES,
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      '--metrics-port',
      '0',
      '--exit-timeout-secs',
      '3600',
      '--http-keepalive-timeout-secs',
      '3600',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // A server that does not exit (the failure this test looks for) must not outlive the test file,
  // which the test runner ends with SIGTERM when the test times out, without running its hooks.
  const killServer = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const onTerm = (): void => {
    killServer();
    process.exit(1);
  };
  process.once('exit', killServer);
  process.once('SIGTERM', onTerm);
  t.after(() => {
    process.off('SIGTERM', onTerm);
    killServer();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ http: number; metrics: number }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; ports?: { http: number; metrics: number } };
        if (rec.msg === 'tensorgate started' && rec.ports) resolve(rec.ports);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`tensorgate exited early with ${code}`)));
  });
  const base = `http://127.0.0.1:${ports.http}`;
  // A first request opens the pooled keep-alive connection the slow one then reuses.
  assert.equal((await fetch(`${base}/v2/health/ready`)).status, 200);
  const slow = fetch(`${base}/v2/models/sleep_ms/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [1000] }] }),
  });
  // In flight once the model's pending gauge shows it.
  for (;;) {
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    if (/^nv_inference_pending_request_count\{[^}]*model="sleep_ms"[^}]*\} 1$/m.test(metrics)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGTERM');
  const r = await slow;
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(await exited, 0);
});
