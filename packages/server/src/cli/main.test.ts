import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Run the real entry point: from source with tsx (node --test on src), or compiled (npm test).
const fromSource = import.meta.url.endsWith('.ts');
const entry = fileURLToPath(new URL(fromSource ? './main.ts' : './main.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const nodeArgs = fromSource ? ['--import', 'tsx', entry] : [entry];
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Every test binds only 127.0.0.1 and port 0. */
const LOCAL = ['--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0', '--metrics-port', '0'];

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function start(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('TENSORGATE_')) delete env[key];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: repoRoot, env });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  return { child, stdout: () => out, stderr: () => err };
}

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(args);
  const [code] = (await once(p.child, 'exit')) as [number | null];
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('tensorgate CLI (child process)', () => {
  test('--version prints the package version', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  });

  test('--help lists serve; serve --help lists the settings', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /serve\|tritonserver \[options\]/);
    const serve = await run(['serve', '--help']);
    assert.equal(serve.code, 0);
    assert.match(serve.stdout, /--model-repository <path>/);
    assert.match(serve.stdout, /TENSORGATE_HTTP_PORT/);
  });

  test('a bad option exits 1 with the reason on stderr', async () => {
    const r = await run(['serve', '--model-repository', '/x', '--http-port', 'eighty']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /'--http-port <port>' argument 'eighty' is invalid\. Must be a whole number/);
  });

  test('a missing option exits 1', async () => {
    const r = await run(['serve', ...LOCAL]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--model-repository is required/);
  });

  test('a missing repository directory is a startup failure (exit 1)', async () => {
    const missing = join(tmpdir(), 'tensorgate-no-such-repository-9f3c1');
    const r = await run(['serve', '--model-repository', missing, ...LOCAL]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tensorgate: startup failed: /m);
  });

  test('a port in use is a startup failure (exit 1)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    const repo = mkdtempSync(join(tmpdir(), 'tensorgate-cli-'));
    try {
      const r = await run(['--model-repository', repo, ...LOCAL, '--metrics-port', String(taken)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /startup failed: .*(EADDRINUSE|address already in use)/);
    } finally {
      blocker.close();
      rmSync(repo, { recursive: true, force: true });
    }
  });

  test('SIGTERM shuts down gracefully and exits 0', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'tensorgate-cli-'));
    try {
      const p = start(['serve', '--model-repository', repo, ...LOCAL]);
      // Wait for the JSON log line that says the server is up.
      while (!p.stdout().includes('"msg":"server started"')) {
        const exited = p.child.exitCode !== null;
        assert.ok(!exited, `server exited early: ${p.stderr()}`);
        await Promise.race([once(p.child.stdout!, 'data'), once(p.child, 'exit')]);
      }
      p.child.kill('SIGTERM');
      const [code] = (await once(p.child, 'exit')) as [number | null];
      assert.equal(code, 0, p.stderr());
      const lines = p
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg?: string; signal?: string });
      assert.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'));
      assert.ok(lines.some((l) => l.msg === 'shutdown complete'));
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
