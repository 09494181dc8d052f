/**
 * The published packages as a newcomer gets them (README, "Using the packages in your own
 * project"): `npm pack` the three packages, `npm install` the tarballs into an empty project, start
 * `npx tensorgate serve` on the example repository and run packages/client/README.md's example from
 * that project against it. The project follows the README's recipe: `allowScripts` denies
 * onnxruntime-node's and node-llama-cpp's install scripts (with an npm older than 11.16, which does
 * not know the field, the README's environment variables do the same) and `overrides` leave out
 * node-llama-cpp's GPU builds. Third-party packages come from npm's cache or the registry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EXAMPLES } from '../helpers/servers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PACKAGES = ['@tensorgate/protocol', '@tensorgate/client', 'tensorgate'];
const run = promisify(execFile);
const NPM_TIMEOUT_MS = 240_000;

let dir: string;
let app: string;
let server: ChildProcess | undefined;
let npmEnv: NodeJS.ProcessEnv;

interface PackResult {
  name: string;
  filename: string;
  files: Array<{ path: string }>;
}
let packed: PackResult[];

/** Signals npx and the server it started, as Ctrl-C in a terminal does (one process group). */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** npm's version as [major, minor]. */
async function npmVersion(): Promise<[number, number]> {
  const { stdout } = await run('npm', ['--version']);
  const [major, minor] = stdout.trim().split('.').map(Number);
  return [major!, minor!];
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-packages-'));
  app = join(dir, 'app');
  await mkdir(join(app, 'stub'), { recursive: true });
  const [major, minor] = await npmVersion();
  const knowsAllowScripts = major > 11 || (major === 11 && minor >= 16);
  npmEnv = { ...process.env, npm_config_update_notifier: 'false' };
  // With an npm that honours allowScripts the project's own policy must be enough: drop CI's variables.
  if (knowsAllowScripts) {
    delete npmEnv['ONNXRUNTIME_NODE_INSTALL'];
    delete npmEnv['NODE_LLAMA_CPP_SKIP_DOWNLOAD'];
  } else {
    npmEnv['ONNXRUNTIME_NODE_INSTALL'] = 'skip';
    npmEnv['NODE_LLAMA_CPP_SKIP_DOWNLOAD'] = 'true';
  }
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', dir, ...PACKAGES.flatMap((p) => ['-w', p])],
    { cwd: ROOT, env: npmEnv, timeout: NPM_TIMEOUT_MS, maxBuffer: 64 << 20 },
  );
  packed = JSON.parse(stdout) as PackResult[];
});

after(async () => {
  if (server?.pid !== undefined && server.exitCode === null) killGroup(server.pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

test('the tarballs hold the built code and nothing of the tests', () => {
  assert.deepEqual(packed.map((p) => p.name).sort(), [...PACKAGES].sort());
  const files = (name: string): string[] => packed.find((p) => p.name === name)!.files.map((f) => f.path);
  assert.ok(files('@tensorgate/protocol').includes('proto/grpc_service.proto'));
  assert.ok(files('@tensorgate/protocol').includes('dist/index.js'));
  assert.ok(files('@tensorgate/client').includes('dist/index.js'));
  assert.ok(files('@tensorgate/client').includes('README.md'));
  assert.ok(files('tensorgate').includes('bin/tensorgate.js'));
  assert.ok(files('tensorgate').includes('dist/cli/main.js'));
  // The web console, bundled at build time (no CDN): page, script and style.
  for (const f of ['index.html', 'app.js', 'app.css']) assert.ok(files('tensorgate').includes(`dist/console/${f}`), f);
  for (const p of packed) {
    assert.deepEqual(
      p.files.filter((f) => /\.test(-helper)?\.|dist-test\//.test(f.path)).map((f) => f.path),
      [],
      `${p.name} ships test files`,
    );
  }
});

test('installed from the tarballs into an empty project: npx tensorgate serve and the client README example', async () => {
  const rootPkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    overrides: Record<string, string>;
  };
  await writeFile(join(app, 'stub', 'package.json'), JSON.stringify({ name: 'stub', version: '0.0.0' }));
  // The README's recipe: no install scripts, no GPU builds of node-llama-cpp.
  const overrides = Object.fromEntries(Object.keys(rootPkg.overrides).map((k) => [k, 'file:./stub']));
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'app',
        private: true,
        type: 'module',
        allowScripts: {
          'msgpackr-extract': false,
          'node-llama-cpp': false,
          'onnxruntime-node': false,
          protobufjs: false,
        },
        overrides,
      },
      null,
      2,
    ),
  );
  const tarballs = packed.map((p) => join(dir, p.filename));
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
    cwd: app,
    env: npmEnv,
    timeout: NPM_TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
  const npmOutput = install.stdout + install.stderr;
  assert.doesNotMatch(npmOutput, /install-scripts|Unknown (project|env|user) config/, npmOutput);
  const ortBin = join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
  if (process.platform === 'linux' && process.arch === 'x64') {
    const { stdout: ls } = await run('ls', [ortBin]);
    assert.doesNotMatch(ls, /providers_cuda/, 'onnxruntime-node ran its install script');
  }

  server = spawn(
    'npx',
    [
      '--no-install',
      'tensorgate',
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
      '--console',
      'true',
    ],
    { cwd: app, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  // npx and the server must not outlive the test file, which the runner ends with SIGTERM (hooks
  // not run) when a test times out.
  const pid = server.pid!;
  let stopped = false;
  process.once('exit', () => stopped || killGroup(pid, 'SIGKILL'));
  process.once('SIGTERM', () => {
    if (!stopped) killGroup(pid, 'SIGKILL');
    process.exit(1);
  });
  const messages: string[] = [];
  const ports = await new Promise<{ http: number; grpc: number }>((resolve, reject) => {
    const lines = createInterface({ input: server!.stdout! });
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; ports?: { http: number; grpc: number } };
        if (rec.msg) messages.push(rec.msg);
        if (rec.msg === 'tensorgate started' && rec.ports) resolve(rec.ports);
      } catch {
        // not a log line
      }
    });
    let stderr = '';
    server!.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    server!.once('exit', (code) => reject(new Error(`tensorgate exited early with ${code}: ${stderr}`)));
  });
  assert.equal((await fetch(`http://127.0.0.1:${ports.http}/v2/health/ready`)).status, 200);
  // The console is served from the installed package's files.
  const page = await fetch(`http://127.0.0.1:${ports.http}/console`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /\/console\/app\.js/);
  const script = await fetch(`http://127.0.0.1:${ports.http}/console/app.js`);
  assert.equal(script.status, 200);
  assert.ok((await script.arrayBuffer()).byteLength > 10_000, 'the bundled console script');

  // packages/client/README.md's first example, run from the project so '@tensorgate/client' resolves there.
  const readme = await readFile(join(ROOT, 'packages/client/README.md'), 'utf8');
  const example = /<!-- readme-example:start -->\s*```js\n([\s\S]*?)```/.exec(readme)![1]!;
  await writeFile(
    join(app, 'example.mjs'),
    example.replaceAll('http://localhost:8000', `http://127.0.0.1:${ports.http}`),
  );
  const { stdout } = await run(process.execPath, ['example.mjs'], { cwd: app, timeout: 60_000 });
  assert.equal(stdout.trim(), ['true', "req-1 [ '1', '2', '3' ]", 'NOT_FOUND 404 req-2'].join('\n'));

  // Stopped as in a terminal: both npx and the server get SIGTERM; the server's output ends when it has exited.
  const closed = new Promise<void>((resolve) => server!.stdout!.once('close', resolve));
  killGroup(server.pid!, 'SIGTERM');
  await closed;
  stopped = true;
  assert.ok(messages.includes('shutdown complete'), messages.join('\n'));
});
