#!/usr/bin/env node
// Builds the tensorgate container image with the OCI builder this machine has (podman or docker) and
// smoke-tests it over the real wire: the container starts from the image's defaults, turns ready
// and healthy (its HEALTHCHECK), answers inference over HTTP (a JS and an ONNX model) and gRPC (the
// repository's @tensorgate/client), exports metrics, runs as a non-root user, and on `stop`
// (STOPSIGNAL SIGTERM) drains: a slow request in flight completes, then it exits 0.
//
//   node scripts/container/smoke.mjs [--builder podman|docker] [--image NAME] [--no-build] [--keep]
//
// Exit status: 0 passed, 1 failed, 3 no usable OCI builder here (said loudly on stderr).
// Needs `npm run build` first (the gRPC check uses packages/client/dist). Details: docs/container.md.
//
// Where no registry is reachable, a missing base image is bootstrapped locally
// (scripts/container/bootstrap-base.sh: debootstrap + the host's Node 20) under the name the
// Dockerfile's NODE_IMAGE defaults to; TENSORGATE_BASE_BOOTSTRAP=never pulls it instead, =always
// rebuilds it. The host's CA bundle and npm registry/proxy settings reach the build's `npm ci` as
// build secrets (npm_ca, npmrc), so a TLS-intercepting proxy works without touching the Dockerfile.
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NO_BUILDER = 3;
const { values: opts } = parseArgs({
  options: {
    builder: { type: 'string' },
    image: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const version = JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8')).version;
const image = opts.image ?? `tensorgate/tensorgate:${version}`;
const started = Date.now();
const say = (msg) => console.log(`smoke [${((Date.now() - started) / 1000).toFixed(0)}s]: ${msg}`);

/** Runs a command to completion; returns {status, stdout, stderr}. */
function run(cmd, args, { input, env, timeoutMs = 120_000 } = {}) {
  const r = spawnSync(cmd, args, { input, env: env ?? process.env, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function fail(msg) {
  throw new Error(msg);
}

// ---- the builder ------------------------------------------------------------------------------

function onPath(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** The first builder that answers `info`: podman (with runc where installed) or docker. */
function findBuilder() {
  const wanted = opts.builder ?? process.env.TENSORGATE_OCI_BUILDER;
  const tried = [];
  for (const name of wanted ? [wanted] : ['podman', 'docker']) {
    if (!onPath(name)) {
      tried.push(`${name}: not installed`);
      continue;
    }
    const global = [];
    if (name === 'podman') {
      const runtime = process.env.TENSORGATE_PODMAN_RUNTIME ?? (onPath('runc') ? 'runc' : undefined);
      if (runtime) global.push('--runtime', runtime);
    }
    const info = run(name, [...global, 'info'], { timeoutMs: 60_000 });
    if (info.status === 0) return { name, global };
    tried.push(`${name}: \`${name} info\` failed: ${info.stderr.trim().split('\n').pop()}`);
  }
  return { tried };
}

/**
 * podman sets RLIMIT_NOFILE and RLIMIT_NPROC in every container it runs as root; where the process
 * may not raise limits (no CAP_SYS_RESOURCE, as on this project's CI machines) that fails, so ask
 * for the limits this process has instead (nproc at most pid_max, which runc also checks).
 */
function ulimitArgs(b, baseImage) {
  if (b.name !== 'podman') return [];
  const probe = run(b.name, [...b.global, 'run', '--rm', '--entrypoint', '/bin/true', baseImage], {
    timeoutMs: 60_000,
  });
  if (probe.status === 0) return [];
  if (!/rlimit/i.test(probe.stderr)) fail(`cannot run a container from ${baseImage}: ${probe.stderr.trim()}`);
  const limit = (flag) => run('sh', ['-c', `ulimit -H ${flag}`]).stdout.trim();
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  const nofile = limit('-n');
  const nproc = Math.min(Number(limit('-u')) || pidMax, pidMax);
  const args = ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
  say(`podman cannot raise rlimits here; running with ${args.join(' ')}`);
  return args;
}

// ---- the base image ---------------------------------------------------------------------------

function baseImageName() {
  const m = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!m) fail('Dockerfile has no `ARG NODE_IMAGE=` default');
  return m[1];
}

function ensureBaseImage(b, base) {
  const mode = process.env.TENSORGATE_BASE_BOOTSTRAP ?? 'auto';
  const present = run(b.name, [...b.global, 'image', 'inspect', base]).status === 0;
  if (present && mode !== 'always') return;
  const canBootstrap = onPath('debootstrap') && process.getuid?.() === 0;
  if (mode === 'never' || (mode === 'auto' && !canBootstrap)) {
    say(`pulling ${base}`);
    const r = run(b.name, [...b.global, 'pull', base], { timeoutMs: 600_000 });
    if (r.status !== 0)
      fail(`cannot pull ${base} (${r.stderr.trim()}); install debootstrap and run as root to bootstrap it`);
    return;
  }
  say(`bootstrapping ${base} locally (no registry needed): scripts/container/bootstrap-base.sh`);
  const fqName = base.includes('/') ? base : `docker.io/library/${base}`;
  const r = spawnSync(join(ROOT, 'scripts/container/bootstrap-base.sh'), [b.name, fqName], { stdio: 'inherit' });
  if (r.status !== 0) fail('bootstrapping the base image failed');
}

// ---- build ------------------------------------------------------------------------------------

/** The build secrets: the host's CA bundle and its npm registry / proxy settings. */
function buildSecrets(dir) {
  const npmGet = (key) => {
    const v = run('npm', ['config', 'get', key], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '' } }).stdout.trim();
    return v && v !== 'null' && v !== 'undefined' ? v : undefined;
  };
  const caCandidates = [process.env.NODE_EXTRA_CA_CERTS, npmGet('cafile'), '/etc/ssl/certs/ca-certificates.crt'];
  const ca = caCandidates.find((p) => p && existsSync(p));
  const npmrc = join(dir, 'npmrc');
  const lines = ['registry', 'proxy', 'https-proxy', 'noproxy']
    .map((k) => [k, npmGet(k)])
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  writeFileSync(npmrc, `${lines.join('\n')}\n`, { mode: 0o600 });
  const args = ['--secret', `id=npmrc,src=${npmrc}`];
  if (ca) args.push('--secret', `id=npm_ca,src=${ca}`);
  say(`build secrets: npmrc (${lines.map((l) => l.split('=')[0]).join(', ')})${ca ? `, npm_ca from ${ca}` : ''}`);
  return args;
}

/** Proxy variables, which docker passes to builds only when named (and never stores in the image). */
function proxyArgs() {
  const names = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
  return names.filter((n) => process.env[n]).flatMap((n) => ['--build-arg', n]);
}

/** Runs the build, its output to a log file, with each step's first line echoed as it starts. */
function streamed(cmd, args, env, logFile) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile);
    const tail = [];
    const onLine = (line) => {
      log.write(`${line}\n`);
      tail.push(line);
      if (tail.length > 60) tail.shift();
      if (/STEP \d+\/\d+:|^#\d+ \[/.test(line)) say(`  ${line.slice(0, 110)}`);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.on('close', (code) => log.end(() => resolve({ status: code ?? 1, tail })));
  });
}

async function build(b, limits, dir) {
  const args = [...b.global, 'build'];
  if (b.name === 'podman') args.push('--format', 'docker', ...limits); // OCI format drops HEALTHCHECK
  args.push(...buildSecrets(dir), ...proxyArgs(), '-t', image, ROOT);
  if (b.name === 'docker') args.splice(args.indexOf('build') + 1, 0, '--progress', 'plain');
  const env = b.name === 'docker' ? { ...process.env, DOCKER_BUILDKIT: '1' } : process.env;
  const log = join(dir, 'build.log');
  say(`${b.name} build -t ${image} (log: ${log})`);
  const t0 = Date.now();
  const r = await streamed(b.name, args, env, log);
  if (r.status !== 0) {
    console.error(r.tail.join('\n'));
    fail(`the image build failed (exit ${r.status})`);
  }
  say(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// ---- the running container --------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) fail(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(500);
  }
}

async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) fail(`POST ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function metricValue(text, name, model) {
  const re = new RegExp(`^${name}\\{[^}]*model="${model}"[^}]*\\} (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function smoke(b, limits) {
  const name = `tensorgate-smoke-${process.pid}`;
  const cli = (...args) => run(b.name, [...b.global, ...args], { timeoutMs: 120_000 });
  const logs = () => cli('logs', name).stdout + cli('logs', name).stderr;
  const r = cli(
    'run', '-d', '--name', name, ...limits,
    '-p', '127.0.0.1::8000', '-p', '127.0.0.1::8001', '-p', '127.0.0.1::8002',
    image,
  ); // prettier-ignore
  if (r.status !== 0) fail(`${b.name} run failed: ${r.stderr.trim()}`);
  try {
    const port = (p) => {
      const out = cli('port', name, `${p}/tcp`).stdout.trim().split('\n')[0] ?? '';
      const m = /:(\d+)$/.exec(out);
      if (!m) fail(`no host port for ${p}: ${out}`);
      return Number(m[1]);
    };
    const http = `http://127.0.0.1:${port(8000)}`;
    const grpcTarget = `127.0.0.1:${port(8001)}`;
    const metrics = `http://127.0.0.1:${port(8002)}/metrics`;

    say('waiting for /v2/health/ready (every example model loaded)');
    await waitFor('readiness', 240_000, async () => {
      const state = cli('inspect', '--format', '{{.State.Status}}', name).stdout.trim();
      if (state !== 'running') fail(`the container is ${state}:\n${logs()}`);
      return (await fetch(`${http}/v2/health/ready`)).status === 200;
    });
    say('ready');

    const uid = cli('exec', name, 'id', '-u').stdout.trim();
    if (uid !== '10001') fail(`the server runs as uid ${uid}, not 10001`);
    say('runs as uid 10001');

    if (b.name === 'podman') {
      const h = cli('healthcheck', 'run', name);
      if (h.status !== 0) fail(`HEALTHCHECK failed: ${h.stdout}${h.stderr}`);
    } else {
      await waitFor('HEALTHCHECK healthy', 120_000, async () => {
        const s = cli('inspect', '--format', '{{.State.Health.Status}}', name).stdout.trim();
        return s === 'healthy';
      });
    }
    say('HEALTHCHECK (tensorgate health) passes');

    const a = Array.from({ length: 16 }, (_, i) => i);
    const ones = Array(16).fill(1);
    const sum = a.map((x) => x + 1);
    const inputs = [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: a },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: ones },
    ];
    const viaHttp = await postJson(`${http}/v2/models/simple/infer`, { inputs });
    const out0 = viaHttp.outputs.find((o) => o.name === 'OUTPUT0');
    if (JSON.stringify(out0?.data) !== JSON.stringify(sum)) fail(`HTTP simple: ${JSON.stringify(viaHttp)}`);
    const lstm = await postJson(`${http}/v2/models/lstm_timeseries/infer`, {
      inputs: [
        { name: 'INPUT', shape: [1, 10, 1], datatype: 'FP32', data: [0, 0.5, 0.87, 1, 0.87, 0.5, 0, -0.5, -0.87, -1] },
      ],
    });
    const forecast = lstm.outputs[0];
    if (JSON.stringify(forecast.shape) !== '[1,5]' || !forecast.data.every(Number.isFinite)) {
      fail(`HTTP lstm_timeseries (onnxruntime): ${JSON.stringify(lstm)}`);
    }
    say('HTTP inference: simple (JS backend) and lstm_timeseries (onnxruntime) answer');

    const clientUrl = pathToFileURL(join(ROOT, 'packages/client/dist/index.js')).href;
    if (!existsSync(fileURLToPath(clientUrl))) fail('packages/client/dist is missing: run `npm run build` first');
    const { InferenceClient, InferInput } = await import(clientUrl);
    const client = InferenceClient.grpc(grpcTarget);
    try {
      const result = await client.infer(
        'simple',
        [
          new InferInput('INPUT0', [1, 16], 'INT32').setData(a),
          new InferInput('INPUT1', [1, 16], 'INT32').setData(ones),
        ],
        { timeoutMs: 30_000 },
      );
      if (JSON.stringify([...result.asTypedArray('OUTPUT0')]) !== JSON.stringify(sum))
        fail('gRPC simple: wrong OUTPUT0');
    } finally {
      await client.close();
    }
    say('gRPC inference (@tensorgate/client): simple answers');

    const text = await (await fetch(metrics)).text();
    const successes = metricValue(text, 'nv_inference_request_success', 'simple');
    if (!(successes >= 2)) fail(`metrics: nv_inference_request_success for simple is ${successes}, expected >= 2`);
    say(`metrics: nv_inference_request_success{model="simple"} = ${successes}`);

    // SIGTERM with a request in flight: `stop` sends the image's STOPSIGNAL and waits for the exit.
    const sleepMs = 5000;
    const inFlight = fetch(`${http}/v2/models/sleep_ms/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [sleepMs] }] }),
    }).then(async (res) => ({ status: res.status, body: await res.text() }));
    await waitFor('the sleep_ms request to be in flight', 30_000, async () => {
      const m = await (await fetch(metrics)).text();
      return metricValue(m, 'nv_inference_pending_request_count', 'sleep_ms') === 1;
    });
    say(`sleep_ms(${sleepMs} ms) in flight; ${b.name} stop (SIGTERM)`);
    const stopping = new Promise((resolve) => {
      const child = spawn(b.name, [...b.global, 'stop', '--time', '60', name], { stdio: 'ignore' });
      child.on('close', resolve);
    });
    const answer = await inFlight;
    await stopping;
    if (answer.status !== 200) fail(`the in-flight request failed during the drain: ${answer.status} ${answer.body}`);
    const echoed = JSON.parse(answer.body).outputs[0].data[0];
    if (echoed !== sleepMs) fail(`sleep_ms answered ${answer.body}`);
    const exitCode = cli('inspect', '--format', '{{.State.ExitCode}}', name).stdout.trim();
    const logText = logs();
    if (exitCode !== '0') fail(`the server exited ${exitCode} after SIGTERM:\n${logText}`);
    if (!/SIGTERM/.test(logText)) fail(`the server's log does not mention SIGTERM:\n${logText}`);
    say('SIGTERM drained: the in-flight request completed, then the server exited 0');
  } finally {
    if (!opts.keep) cli('rm', '-f', name);
  }
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const b = findBuilder();
  if (!b.name) {
    const line = '!'.repeat(100);
    console.error(`${line}\nCONTAINER SMOKE TEST NOT RUN: no usable OCI builder on this machine.`);
    for (const t of b.tried) console.error(`  ${t}`);
    console.error(`Install podman (Debian: apt-get install -y podman runc debootstrap) or docker.\n${line}`);
    return NO_BUILDER;
  }
  say(`builder: ${b.name} ${b.global.join(' ')}`.trim());
  const dir = mkdtempSync(join(tmpdir(), 'tensorgate-smoke-'));
  try {
    const base = baseImageName();
    if (!opts['no-build']) ensureBaseImage(b, base);
    const limits = ulimitArgs(b, opts['no-build'] ? image : base);
    if (!opts['no-build']) await build(b, limits, dir);
    const size = run(b.name, [...b.global, 'image', 'inspect', '--format', '{{.Size}}', image]).stdout.trim();
    say(`image ${image}: ${(Number(size) / 1e6).toFixed(0)} MB`);
    await smoke(b, limits);
    say('PASSED');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`smoke: FAILED: ${e.message}`);
    process.exit(1);
  },
);
