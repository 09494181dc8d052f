// The in-process baseline: the same ONNX model run with onnxruntime-node directly in the bench
// process, with the session options the server used, so a script can subtract or compare.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { summarize } from './stats.mjs';

/** onnxruntime-node, loaded only by the scripts that need it. */
export async function loadOrt() {
  return import('onnxruntime-node');
}

/**
 * The session options of the server's instance of `modelName`: taken from its "onnx session ready"
 * log record when the server wrote one (see startTensorgate's `sessionLogs`), else the server's
 * documented defaults (docs/onnxruntime-backend.md): sequential, one inter-op thread, all graph
 * optimizations, and the cores divided between `instances`.
 */
export function serverSessionOptions(server, modelName, instances = 1) {
  const rec = server?.sessionLogs?.find((r) => r.model === modelName);
  const keys = ['intraOpNumThreads', 'interOpNumThreads', 'executionMode', 'graphOptimizationLevel'];
  const extra = ['enableCpuMemArena', 'enableMemPattern'];
  if (rec && keys.every((k) => rec[k] !== undefined)) {
    const o = { source: 'server log' };
    for (const k of [...keys, ...extra]) if (rec[k] !== undefined) o[k] = rec[k];
    return o;
  }
  return {
    source: 'documented defaults',
    intraOpNumThreads: Math.max(1, Math.floor(availableParallelism() / instances)),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/** Opens a CPU session with `options` (the `source` field is dropped). */
export async function openSession(ort, file, options) {
  const opts = { ...options };
  delete opts.source;
  return ort.InferenceSession.create(file, { ...opts, executionProviders: ['cpu'], logSeverityLevel: 3 });
}

/**
 * Runs `session.run(feeds)` back to back (one at a time) for `durationSec` after `warmupSec`, and
 * returns { runs, elapsedSec, runsPerSec, latencyMs } with each run's latency (timed around
 * session.run only; the feeds are built once).
 */
export async function measureRuns(session, feeds, { durationSec, warmupSec = 1, maxSamples = 1_000_000 }) {
  const warmEnd = performance.now() + warmupSec * 1000;
  while (performance.now() < warmEnd) await session.run(feeds);
  const samples = new Float64Array(maxSamples);
  let n = 0;
  const t0 = performance.now();
  const end = t0 + durationSec * 1000;
  let now = t0;
  while (now < end && n < maxSamples) {
    const s = performance.now();
    await session.run(feeds);
    now = performance.now();
    samples[n++] = now - s;
  }
  const elapsedSec = (now - t0) / 1000;
  return { runs: n, elapsedSec, runsPerSec: n / elapsedSec, latencyMs: summarize(samples, n) };
}
