/**
 * Launch lines from Triton's documentation, run against the real `tensorgate` command (the
 * `tritonserver` bin of the package is the same file). Each line keeps the documented flags as
 * written; the test only points `/models` at a temporary repository and moves the ports to free
 * ones (Triton's 8000-8002 may be taken on a shared machine).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually, tempRepository } from '../helpers/servers.js';

const BIN = fileURLToPath(new URL('../../bin/tensorgate.js', import.meta.url));
const FREE_PORTS = ['--http-port=0', '--grpc-port=0', '--metrics-port=0'];

interface Ports {
  http: number;
  grpc: number;
  metrics: number;
}

/** `tritonserver <args>` as the documented line gives them, with /models pointing at `repo`. */
function argsOf(line: string, repo: string): string[] {
  const [program, ...args] = line.split(' ');
  assert.equal(program, 'tritonserver');
  return args.map((arg) => arg.replace('=/models', `=${repo}`));
}

/** Starts the command; resolves once it logs its ports (JSON on stdout, or text lines in `logFile`). */
async function start(args: string[], logFile?: string): Promise<{ ports: Ports; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, ...args, ...FREE_PORTS], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async (): Promise<number | null> => {
    child.kill('SIGTERM');
    return exited;
  };
  let ports: Ports | undefined;
  if (logFile === undefined) {
    const lines = createInterface({ input: child.stdout! });
    ports = await new Promise<Ports>((resolve, reject) => {
      lines.on('line', (line) => {
        const rec = JSON.parse(line) as { msg?: string; ports?: Ports };
        if (rec.msg === 'server started' && rec.ports) resolve(rec.ports);
      });
      void exited.then((code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
    });
  } else {
    let early: number | null | undefined;
    void exited.then((code) => (early = code));
    await eventually(async () => {
      if (early !== undefined) throw new Error(`exited early with ${early}: ${stderr}`);
      const text = await readFile(logFile, 'utf8').catch(() => '');
      const match = / server started ports=(\{[^}]*\})/.exec(text);
      if (match) ports = JSON.parse(match[1]!) as Ports;
      return ports !== undefined;
    }, 400);
  }
  return { ports: ports!, stop };
}

/** Runs the command to its exit; resolves with the exit status and stderr. */
function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args, ...FREE_PORTS], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

async function infer(ports: Ports): Promise<void> {
  const body = {
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, () => 1) },
    ],
  };
  const r = await fetch(`http://127.0.0.1:${ports.http}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, await r.clone().text());
}

test('launch lines from Triton docs start tensorgate with their meaning', async (t) => {
  const repo = await tempRepository(['simple']);
  t.after(() => repo.remove());

  await t.test('quickstart (docs/getting_started/quickstart.md): tritonserver --model-repository=/models', async () => {
    const server = await start([
      ...argsOf('tritonserver --model-repository=/models', repo.path),
      '--http-address=127.0.0.1',
      '--grpc-address=127.0.0.1',
      '--id=quickstart',
    ]);
    try {
      const base = `http://127.0.0.1:${server.ports.http}`;
      assert.equal((await fetch(`${base}/v2/health/ready`)).status, 200);
      assert.equal(((await (await fetch(`${base}/v2`)).json()) as { name: string }).name, 'quickstart');
      await infer(server.ports);
      // --metrics-address defaults to --http-address (Triton's rule): metrics answer on 127.0.0.1.
      assert.equal((await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  await t.test(
    'model management (docs/user_guide/model_management.md): --model-control-mode=explicit --load-model',
    async () => {
      const server = await start(
        argsOf('tritonserver --model-repository=/models --model-control-mode=explicit --load-model=simple', repo.path),
      );
      try {
        const index = (await (
          await fetch(`http://127.0.0.1:${server.ports.http}/v2/repository/index`, { method: 'POST' })
        ).json()) as Array<{ name: string; state: string }>;
        assert.deepEqual(
          index.map((m) => [m.name, m.state]),
          [['simple', 'READY']],
        );
      } finally {
        assert.equal(await server.stop(), 0);
      }
    },
  );

  await t.test(
    'metrics (docs/user_guide/metrics.md): --metrics-config summary_latencies=true, histogram_latencies=true, counter_latencies=false',
    async () => {
      const server = await start(
        argsOf(
          'tritonserver --model-repository=/models --metrics-config summary_latencies=true ' +
            '--metrics-config histogram_latencies=true --metrics-config counter_latencies=false',
          repo.path,
        ),
      );
      try {
        await infer(server.ports);
        const text = await (await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`)).text();
        assert.match(text, /# TYPE nv_inference_request_summary_us summary/);
        assert.match(text, /nv_inference_queue_summary_us\{quantile="0\.5",model="simple",version="1"\} \d/);
        assert.match(text, /nv_inference_request_summary_us_count\{model="simple",version="1"\} 1/);
        assert.match(text, /# TYPE nv_inference_first_response_histogram_ms histogram/);
        assert.match(text, /nv_inference_first_response_histogram_ms_bucket\{le="5000",model="simple",version="1"\} 1/);
        assert.match(text, /nv_inference_request_success\{model="simple",version="1"\} 1/);
        assert.doesNotMatch(text, /nv_inference_request_duration_us/);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    },
  );

  await t.test('metrics (docs/user_guide/metrics.md): --allow-metrics=false, --allow-cpu-metrics=false', async () => {
    const server = await start(
      argsOf('tritonserver --model-repository=/models --allow-gpu-metrics=false --allow-cpu-metrics=false', repo.path),
    );
    try {
      const text = await (await fetch(`http://127.0.0.1:${server.ports.metrics}/metrics`)).text();
      assert.match(text, /nv_inference_request_success/);
      assert.doesNotMatch(text, /nv_cpu_utilization/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  await t.test(
    'logging (docs/user_guide/performance_tuning.md --log-verbose=1, with --log-file and --log-format)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tensorgate-logs-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const logFile = join(dir, 'triton.log');
      const server = await start(
        argsOf(
          `tritonserver --model-repository=/models --log-verbose=1 --log-file=${logFile} --log-format=ISO8601`,
          repo.path,
        ),
        logFile,
      );
      // A rejected request is logged at debug level: verbose logging shows it.
      const rejected = await fetch(`http://127.0.0.1:${server.ports.http}/v2/models/nope/infer`, {
        method: 'POST',
        body: '{}',
      });
      assert.equal(rejected.status, 400);
      assert.equal(await server.stop(), 0);
      const lines = (await readFile(logFile, 'utf8')).trim().split('\n');
      // Text lines (--log-format asks for them), ISO 8601 timestamps, verbose lines included.
      for (const line of lines.filter((l) => !l.startsWith('    '))) {
        assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [VIWEF] \d+ \S+\] /, line);
      }
      assert.ok(lines.some((l) => / I \d+ tensorgate\] model ready model=simple/.test(l)));
      assert.ok(
        lines.some((l) => / V \d+ /.test(l)),
        'a verbose line',
      );
    },
  );

  await t.test(
    '--exit-on-error (docs/customization_guide/deploy.md, default true) stops on a model that fails to load',
    async () => {
      const broken = await tempRepository(['simple']);
      t.after(() => broken.remove());
      await mkdir(join(broken.path, 'broken', '1'), { recursive: true });
      await writeFile(join(broken.path, 'broken', 'config.pbtxt'), 'name: "broken"\nbackend: "js"\n');
      const failed = await runToExit(argsOf('tritonserver --model-repository=/models', broken.path));
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /startup failed: failed to load model at start-up: 'broken': /);

      const server = await start(argsOf('tritonserver --model-repository=/models --exit-on-error=false', broken.path));
      try {
        const base = `http://127.0.0.1:${server.ports.http}`;
        assert.equal((await fetch(`${base}/v2/models/simple/ready`)).status, 200);
        assert.equal((await fetch(`${base}/v2/health/ready`)).status, 400); // strict readiness: a start-up model failed
      } finally {
        assert.equal(await server.stop(), 0);
      }
    },
  );

  await t.test(
    "KServe's Triton runtime args (kserve config/runtimes/kserve-tritonserver.yaml) after the tensorgate entrypoint",
    async () => {
      // The container's entrypoint is `tensorgate`; KServe passes `tritonserver` and its flags as arguments.
      const args = [
        'tritonserver',
        '--model-store=/mnt/models',
        '--grpc-port=9000',
        '--http-port=8080',
        '--allow-grpc=true',
        '--allow-http=true',
      ]
        .map((arg) => arg.replace('=/mnt/models', `=${repo.path}`))
        // Free ports replace KServe's fixed 9000 / 8080 (start() adds port 0 for each).
        .filter((arg) => !/^--(grpc|http)-port=/.test(arg));
      const server = await start(args);
      try {
        assert.equal((await fetch(`http://127.0.0.1:${server.ports.http}/v2/health/ready`)).status, 200);
        await infer(server.ports);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    },
  );

  await t.test(
    "README's tritonserver line runs; the package's tritonserver bin is the tensorgate command",
    async () => {
      const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
        bin: Record<string, string>;
      };
      assert.equal(pkg.bin['tritonserver'], pkg.bin['tensorgate']);
      const readme = await readFile(new URL('../../../../README.md', import.meta.url), 'utf8');
      const line = readme.split('\n').find((l) => l.startsWith('npx tritonserver '));
      assert.ok(line, 'README.md has an npx tritonserver line');
      const args = line
        .slice('npx '.length)
        .split(' ')
        .slice(1)
        .map((arg) => arg.replace('--model-repository=models', `--model-repository=${repo.path}`));
      const server = await start(args);
      try {
        assert.equal((await fetch(`http://127.0.0.1:${server.ports.http}/v2/models/simple/ready`)).status, 200);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    },
  );

  await t.test('a flag tensorgate cannot honour stops start-up with its reason', async () => {
    const r = await runToExit(
      argsOf('tritonserver --model-repository=/models --cuda-memory-pool-byte-size=0:268435456', repo.path),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--cuda-memory-pool-byte-size is not supported: tensorgate has no CUDA memory pool/);
    const b = await runToExit(
      argsOf('tritonserver --model-repository=/models --backend-config=tensorrt,x=1', repo.path),
    );
    assert.equal(b.code, 1);
    assert.match(b.stderr, /tensorgate has no backend 'tensorrt'/);
  });
});
