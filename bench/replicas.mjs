#!/usr/bin/env node
// Scale-out (issue #14 item 6): throughput of 1, 2 and 3 tensorgate replicas (real CLI processes
// on 127.0.0.1) behind @tensorgate/client's own balancing (gRPC: grpc-js round_robin over an
// address list; HTTP: the client's round robin), in one run, with ratios against 1 replica.
//
// Two workloads: `sleep_ms` (each request sleeps 20 ms in a model worker: latency-bound, so it
// shows whether the client spreads calls over the replicas) and `simple` (tiny INT32 adds:
// CPU-bound, so on a 2-core machine it shows where the cores, not the replicas, set the ceiling).
// For each cell: req/s, p50/p99 latency, the replicas' CPU per request (utime + stime of every
// replica process from /proc, over the measured window) and the client's CPU per request.
//
// The load runs in a child process (this script with --child), so it never shares an event loop
// with the script; the replicas are separate processes too. Nothing is pinned.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { main, parseCli, printCommand } from './lib/cli.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num, summarize } from './lib/stats.mjs';

const RESULT_PREFIX = 'REPLICAS_LOAD_RESULT ';
const EXAMPLES = fileURLToPath(new URL('../examples/model_repository', import.meta.url));
const WORKLOADS = {
  sleep: { model: 'sleep_ms', inputs: [['INPUT0', [1], 'UINT32', [20]]] },
  simple: {
    model: 'simple',
    inputs: [
      ['INPUT0', [1, 16], 'INT32', Array.from({ length: 16 }, (_, i) => i)],
      ['INPUT1', [1, 16], 'INT32', Array(16).fill(1)],
    ],
  },
};

if (process.argv[2] === '--child') {
  await childLoad(JSON.parse(process.argv[3]));
} else {
  const opts = parseCli(
    import.meta.url,
    'Throughput of 1, 2 and 3 replicas (tensorgate serve processes) balanced by @tensorgate/client,\n' +
      "ratios against 1 replica, with the replicas' and the client's CPU per request.",
    {
      replicas: { type: 'list', default: '1,2,3', help: 'replica counts to measure (the largest is started)' },
      workloads: { type: 'string', default: 'sleep,simple', help: 'sleep (sleep_ms 20 ms), simple (CPU-bound)' },
      transport: { type: 'string', default: 'grpc', help: 'grpc or http' },
      concurrency: { default: 24, help: 'requests in flight' },
      rounds: { default: 3, help: 'rounds (replica counts alternate within a round); the table shows medians' },
      duration: { default: 3, help: 'seconds measured per cell and round' },
      warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    },
  );
  main(async () => {
    printCommand();
    const workloads = opts.workloads.split(',').map((w) => {
      if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}`);
      return w;
    });
    if (!['grpc', 'http'].includes(opts.transport)) throw new Error(`--transport: grpc or http, got ${opts.transport}`);
    const most = Math.max(...opts.replicas);
    const models = [...new Set(workloads.map((w) => WORKLOADS[w].model))];
    const args = ['--model-control-mode', 'explicit', ...models.flatMap((m) => ['--load-model', m])];
    const servers = await Promise.all(Array.from({ length: most }, () => startTensorgate(EXAMPLES, args)));
    try {
      const rows = [];
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? opts.replicas : [...opts.replicas].reverse();
        for (const workload of workloads) {
          for (const n of order) {
            const live = servers.slice(0, n);
            const targets = live.map((s) =>
              opts.transport === 'grpc' ? `127.0.0.1:${s.grpcPort}` : `http://127.0.0.1:${s.httpPort}`,
            );
            const spec = { ...WORKLOADS[workload], targets, transport: opts.transport, concurrency: opts.concurrency };
            const r = await runChild({ ...spec, durationSec: opts.duration, warmupSec: opts.warmup }, () =>
              servers.map((s) => cpuSeconds(s.pid)),
            );
            const serverCpu = r.cpuAtStart.reduce((sum, c, i) => sum + (r.cpuAtEnd[i] - c), 0);
            if (r.failed > 0)
              throw new Error(`${r.failed} failed requests (${workload}, ${n} replicas): ${r.firstError}`);
            rows.push({ round, workload, n, ...r, serverCpuUsPerRequest: (serverCpu / r.ok) * 1e6 });
            process.stderr.write(
              `round ${round + 1}/${opts.rounds} ${workload} ${n} replica(s): ${num(r.rps)} req/s\n`,
            );
          }
        }
      }
      const pick = (w, n, f) => median(rows.filter((r) => r.workload === w && r.n === n).map(f));
      console.log(
        `\n${opts.transport}, ${opts.concurrency} in flight, ${opts.rounds} rounds of ${opts.duration} s ` +
          `(+${opts.warmup} s warm-up), medians; ${navigatorCores()} CPU cores:\n`,
      );
      console.log(
        markdownTable(
          [
            'workload',
            'replicas',
            'req/s',
            'vs 1 replica',
            'p50 ms',
            'p99 ms',
            'replicas CPU µs / req',
            'client CPU µs / req',
          ],
          workloads.flatMap((w) =>
            opts.replicas.map((n) => [
              w,
              n,
              num(pick(w, n, (r) => r.rps)),
              `${num(pick(w, n, (r) => r.rps) / pick(w, opts.replicas[0], (r) => r.rps), 2)}x`,
              num(
                pick(w, n, (r) => r.latencyMs.p50),
                2,
              ),
              num(
                pick(w, n, (r) => r.latencyMs.p99),
                2,
              ),
              num(
                pick(w, n, (r) => r.serverCpuUsPerRequest),
                0,
              ),
              num(
                pick(w, n, (r) => r.clientCpuUsPerRequest),
                0,
              ),
            ]),
          ),
        ),
      );
      console.log('\nall rounds (req/s):');
      for (const r of rows) console.log(`  round ${r.round} ${r.workload} ${r.n}: ${num(r.rps)}`);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function navigatorCores() {
  return availableParallelism();
}

/**
 * Runs the load in a child; `sampleCpu` is called when the child reports the start and the end of
 * the measured window (after its warm-up), so the replicas' CPU covers exactly that window.
 */
function runChild(spec, sampleCpu) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    let cpuAtStart;
    let cpuAtEnd;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (cpuAtStart === undefined && out.includes('MEASURE_START\n')) cpuAtStart = sampleCpu();
      if (cpuAtEnd === undefined && out.includes('MEASURE_END\n')) cpuAtEnd = sampleCpu();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line && cpuAtStart && cpuAtEnd) {
        resolve({ ...JSON.parse(line.slice(RESULT_PREFIX.length)), cpuAtStart, cpuAtEnd });
      } else reject(new Error(`load child exited with ${code ?? signal}:\n${out}`));
    });
  });
}

/** The child: a closed loop of `concurrency` calls through @tensorgate/client, warm-up then measure. */
async function childLoad(spec) {
  const { InferenceClient, InferInput } = await import('@tensorgate/client');
  const client = spec.transport === 'grpc' ? InferenceClient.grpc(spec.targets) : InferenceClient.http(spec.targets);
  const inputs = spec.inputs.map(([name, shape, dt, data]) => new InferInput(name, shape, dt).setData(data));
  let phase = 'warmup';
  let ok = 0;
  let failed = 0;
  let firstError;
  const latencies = new Float64Array(1 << 20);
  const loop = async (until) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await client.infer(spec.model, inputs, { timeoutMs: 30_000 });
        if (phase === 'measure') {
          if (ok < latencies.length) latencies[ok] = performance.now() - t0;
          ok += 1;
        }
      } catch (e) {
        failed += 1;
        firstError ??= String(e);
      }
    }
  };
  const warmEnd = performance.now() + spec.warmupSec * 1000;
  await Promise.all(Array.from({ length: spec.concurrency }, () => loop(warmEnd)));
  phase = 'measure';
  process.stdout.write('MEASURE_START\n');
  // Give the parent's CPU sample a moment to be taken before the window starts counting.
  await new Promise((r) => setTimeout(r, 20));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + spec.durationSec * 1000;
  await Promise.all(Array.from({ length: spec.concurrency }, () => loop(end)));
  const elapsedSec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write('MEASURE_END\n');
  await client.close();
  const result = {
    ok,
    failed,
    firstError,
    elapsedSec,
    rps: ok / elapsedSec,
    latencyMs: summarize(latencies, Math.min(ok, latencies.length)),
    clientCpuUsPerRequest: (cpu.user + cpu.system) / ok,
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
