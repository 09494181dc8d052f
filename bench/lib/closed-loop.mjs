/**
 * Closed-loop client measurements shared by the benchmarks whose clients run in child processes
 * (client-overhead, bls-vs-client, lstm-pipeline-overhead): N calls in flight, each issued as soon
 * as the previous one of its loop returns, a warm-up, then a timed window with latencies and the
 * client process's CPU; and the parent/child plumbing that carries one result line back.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { summarize } from './stats.mjs';

const RESULT = 'BENCH_CHILD_RESULT ';

/**
 * Runs `call` in `concurrency` closed loops: `warmupSec` unmeasured, then `durationSec` measured.
 * @returns {Promise<{count: number, perSec: number, p50: number, p99: number, cpuUsPerCall: number, total: number}>}
 *   `count` calls finished in the window, `total` calls made in all (warm-up included).
 */
export async function closedLoop(call, { concurrency, warmupSec, durationSec, maxSamples = 4_000_000 }) {
  const latencies = new Float64Array(maxSamples);
  let n = 0;
  let total = 0;
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const t0 = performance.now();
      await call();
      total++;
      if (measuring && n < latencies.length) latencies[n++] = performance.now() - t0;
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, warmupSec * 1000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, durationSec * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const count = n;
  stop = true;
  await Promise.all(loops);
  const lat = summarize(latencies, count);
  return {
    count,
    perSec: count / elapsed,
    p50: lat.p50,
    p99: lat.p99,
    cpuUsPerCall: (cpu.user + cpu.system) / count,
    total,
  };
}

/** Writes a child's result for {@link runChild} to read (one line on stdout). */
export function reportToParent(result) {
  process.stdout.write(RESULT + JSON.stringify(result) + '\n');
}

/**
 * Runs the benchmark script `scriptUrl` (its `import.meta.url`) as a child with `--child <variant>
 * --port <port> ...args` and resolves with what it passed to {@link reportToParent}.
 */
export function runChild(scriptUrl, variant, port, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(scriptUrl), '--child', variant, '--port', String(port), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (code !== 0 || !line) reject(new Error(`${variant} client exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(RESULT.length)));
    });
  });
}
