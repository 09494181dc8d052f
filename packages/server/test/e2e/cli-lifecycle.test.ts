/**
 * The `tensorgate` command as a user runs it: starts on the example repository, answers health
 * checks, and on SIGTERM drains an in-flight request before exiting 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { EXAMPLES } from '../helpers/servers.js';

const BIN = fileURLToPath(new URL('../../bin/tensorgate.js', import.meta.url));

function startCli(
  args: string[],
): Promise<{ child: ChildProcess; ports: { http: number; grpc: number; metrics: number } }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; ports?: { http: number; grpc: number; metrics: number } };
        if (rec.msg === 'tensorgate started' && rec.ports) resolve({ child, ports: rec.ports });
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`tensorgate exited early with ${code}`)));
  });
}

test('serve, answer health, drain on SIGTERM and exit 0', async () => {
  const { child, ports } = await startCli([
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
  ]);
  const base = `http://127.0.0.1:${ports.http}`;
  assert.equal((await fetch(`${base}/v2/health/ready`)).status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
  assert.match(metrics, /nv_inference/);

  const slow = fetch(`${base}/v2/models/sleep_ms/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [800] }] }),
  });
  await new Promise((r) => setTimeout(r, 200));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const r = await slow;
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(await exited, 0);
});

test('a missing repository is a clear startup error with exit code 1', async () => {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--model-repository',
      '/nonexistent/repo',
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      '--metrics-port',
      '0',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(stderr + stdout, /nonexistent\/repo/);
});

test('--help lists the Triton-style flags', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  for (const flag of [
    '--model-repository',
    '--model-control-mode',
    '--load-model',
    '--repository-poll-secs',
    '--http-port',
    '--grpc-port',
    '--metrics-port',
    '--strict-readiness',
    '--exit-timeout-secs',
  ]) {
    assert.ok(out.includes(flag), `--help mentions ${flag}`);
  }
});
