#!/usr/bin/env node
// The async job API (issue #17): submit throughput and end-to-end time of N jobs (default 1000)
// queued at once, with the in-process store and with the Redis store (a redis-server this script
// starts: 127.0.0.1, no persistence), against the baseline of the same N requests sent to
// POST /infer directly, same model (`simple`), same HTTP client (fetch, keep-alive), same number
// of requests in flight. One server per store, `--jobs-concurrency` workers each.
//   submit     N POST .../jobs, `--inflight` at a time: jobs/s accepted (202)
//   end to end first submission → the last job finished (the metrics' tensorgate_jobs_finished_total)
//   direct     N POST .../infer, `--inflight` at a time: the same work without the job API
// Every job must succeed: its count in the metrics, and `--check` jobs read back with a correct
// OUTPUT0 = INPUT0 + INPUT1.
// Failover (Redis): two replicas on one Redis, N `sleep_ms` jobs (`--sleep-ms` each); the replica
// that ran the most jobs is killed with SIGKILL once `--kill-after` of them finished; every job
// must then succeed on the survivor (read back one by one), and the jobs that ran twice are counted.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, main, parseCli, printCommand } from './lib/cli.mjs';
import { startRedis as startRedisServer } from './lib/redis-process.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';

async function startRedis() {
  const redis = await startRedisServer();
  // Give it a moment to accept connections before BullMQ's first command.
  await new Promise((r) => setTimeout(r, 300));
  return redis;
}

const simpleBody = (i) =>
  JSON.stringify({
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(i) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, k) => k) },
    ],
  });
const sleepBody = (ms) => JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1], datatype: 'UINT32', data: [ms] }] });

/** Runs `count` calls of `call(i)`, `inflight` at a time; returns the elapsed ms. */
async function closedLoop(count, inflight, call) {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (next < count) await call(next++);
    }),
  );
  return performance.now() - start;
}

/** Sum of a counter family's samples matching `labels` in a /metrics text. */
function metricSum(text, name, labels) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels.every((l) => line.includes(l))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function finishedCount(metricsUrl, model, status) {
  const text = await (await globalThis.fetch(metricsUrl)).text();
  return metricSum(text, 'tensorgate_jobs_finished_total', [`model="${model}"`, `status="${status}"`]);
}

async function waitUntil(check, what, timeoutMs) {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function submitJob(base, model, body) {
  const res = await globalThis.fetch(`${base}/v2/models/${model}/jobs`, { method: 'POST', body });
  const doc = await res.json();
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${JSON.stringify(doc)}`);
  return doc.id;
}

async function getJob(base, model, id) {
  const res = await globalThis.fetch(`${base}/v2/models/${model}/jobs/${id}`);
  return res.json();
}

/** One round on one server: submit N jobs, wait for all, check some; then N direct requests. */
async function round(server, opts) {
  const base = `http://127.0.0.1:${server.httpPort}`;
  const metrics = `http://127.0.0.1:${server.metricsPort}/metrics`;
  const before = await finishedCount(metrics, 'simple', 'succeeded');
  const failedBefore = await finishedCount(metrics, 'simple', 'failed');
  const ids = new Array(opts.jobs);
  const t0 = performance.now();
  const submitMs = await closedLoop(opts.jobs, opts.inflight, async (i) => {
    ids[i] = await submitJob(base, 'simple', simpleBody(i));
  });
  await waitUntil(
    async () => (await finishedCount(metrics, 'simple', 'succeeded')) - before >= opts.jobs,
    `${opts.jobs} jobs to finish`,
    300_000,
  );
  const e2eMs = performance.now() - t0;
  const failed = (await finishedCount(metrics, 'simple', 'failed')) - failedBefore;
  if (failed > 0) throw new Error(`${failed} jobs failed`);
  for (let k = 0; k < opts.check; k++) {
    const i = Math.floor((k * opts.jobs) / opts.check);
    const doc = await getJob(base, 'simple', ids[i]);
    const out = doc.response?.outputs?.find((o) => o.name === 'OUTPUT0')?.data;
    if (doc.status !== 'succeeded' || !out || out.some((v, j) => v !== i + j)) {
      throw new Error(`job ${i} has a wrong result: ${JSON.stringify(doc).slice(0, 300)}`);
    }
  }
  const directMs = await closedLoop(opts.jobs, opts.inflight, async (i) => {
    const res = await globalThis.fetch(`${base}/v2/models/simple/infer`, { method: 'POST', body: simpleBody(i) });
    const doc = await res.json();
    if (res.status !== 200 || doc.outputs?.[0]?.data?.[0] !== i) throw new Error(`direct infer failed: ${res.status}`);
  });
  return { submitPerSec: (opts.jobs / submitMs) * 1000, e2eMs, directMs };
}

async function failover(redisUrl, repo, opts) {
  const args = ['--jobs-store', redisUrl, '--jobs-concurrency', '4', '--jobs-lock-secs', String(opts.lockSecs)];
  const a = await startTensorgate(repo, args);
  const b = await startTensorgate(repo, args);
  const servers = [a, b];
  try {
    const base = `http://127.0.0.1:${a.httpPort}`;
    const ids = [];
    const t0 = performance.now();
    await closedLoop(opts.jobs, opts.inflight, async () => {
      ids.push(await submitJob(base, 'sleep_ms', sleepBody(opts.sleepMs)));
    });
    const finished = async (s) => finishedCount(`http://127.0.0.1:${s.metricsPort}/metrics`, 'sleep_ms', 'succeeded');
    await waitUntil(
      async () => (await finished(a)) + (await finished(b)) >= opts.jobs * opts.killAfter,
      'jobs before the kill',
      300_000,
    );
    const [fa, fb] = [await finished(a), await finished(b)];
    const victim = fa >= fb ? a : b;
    const survivor = victim === a ? b : a;
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    const killedAt = performance.now() - t0;
    const survivorBase = `http://127.0.0.1:${survivor.httpPort}`;
    const statuses = new Map();
    let rerun = 0;
    await waitUntil(
      async () => {
        statuses.clear();
        rerun = 0;
        await closedLoop(ids.length, 16, async (i) => {
          const doc = await getJob(survivorBase, 'sleep_ms', ids[i]);
          statuses.set(doc.status, (statuses.get(doc.status) ?? 0) + 1);
          if (doc.attempts > 1) rerun++;
        });
        return (
          (statuses.get('succeeded') ?? 0) + (statuses.get('failed') ?? 0) + (statuses.get('cancelled') ?? 0) >=
          ids.length
        );
      },
      'every job to be final after the kill',
      300_000,
    );
    const e2eMs = performance.now() - t0;
    const succeeded = statuses.get('succeeded') ?? 0;
    if (succeeded !== ids.length)
      throw new Error(`jobs lost or failed after the kill: ${JSON.stringify([...statuses])}`);
    return { killedAt, e2eMs, succeeded, rerun, finishedBeforeKill: fa + fb };
  } finally {
    for (const s of servers) await s.stop();
  }
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    'Async jobs: submit throughput and end-to-end time of N queued jobs, in process and Redis, vs direct /infer; and a Redis failover with no job lost.',
    {
      jobs: { default: 1000, help: 'jobs per round' },
      inflight: { default: 16, help: 'requests in flight while submitting (and for the direct baseline)' },
      concurrency: { default: 4, help: '--jobs-concurrency of each server' },
      rounds: { default: 3, help: 'rounds per store (medians reported)' },
      check: { default: 20, help: 'jobs per round whose result is read back and checked' },
      'sleep-ms': { default: 20, help: 'failover: sleep_ms per job' },
      'kill-after': { default: 0.3, help: 'failover: fraction of jobs finished before the kill' },
      'lock-secs': { default: 2, help: 'failover: --jobs-lock-secs' },
    },
  );
  printCommand();
  const repoDir = mkdtempSync(join(tmpdir(), 'tg-bench-jobs-'));
  for (const m of ['simple', 'sleep_ms'])
    cpSync(join(ROOT, 'examples/model_repository', m), join(repoDir, m), { recursive: true });
  const redis = await startRedis();
  const rows = [];
  try {
    const stores = [
      ['memory', ['--jobs-store', 'memory']],
      ['redis', ['--jobs-store', redis.url]],
    ];
    for (const [name, flags] of stores) {
      const server = await startTensorgate(repoDir, [
        ...flags,
        '--jobs-concurrency',
        String(opts.concurrency),
        '--jobs-max-queued',
        String(opts.jobs * 2),
      ]);
      try {
        const results = [];
        for (let r = 0; r < opts.rounds; r++) results.push(await round(server, opts));
        const submit = median(results.map((x) => x.submitPerSec));
        const e2e = median(results.map((x) => x.e2eMs));
        const direct = median(results.map((x) => x.directMs));
        rows.push([
          name,
          num(submit, 0),
          num(e2e, 0),
          num((opts.jobs / e2e) * 1000, 0),
          num(direct, 0),
          num(e2e / direct, 2),
        ]);
      } finally {
        await server.stop();
      }
    }
    console.log(
      `\n${opts.jobs} jobs of \`simple\` per round, ${opts.inflight} requests in flight, --jobs-concurrency ${opts.concurrency}, median of ${opts.rounds} rounds\n`,
    );
    console.log(
      markdownTable(
        ['store', 'submit jobs/s', 'end to end ms', 'jobs/s end to end', 'direct /infer ms', 'end to end / direct'],
        rows,
      ),
    );
    const f = await failover(redis.url, repoDir, {
      ...opts,
      sleepMs: opts['sleep-ms'],
      killAfter: opts['kill-after'],
      lockSecs: opts['lock-secs'],
    });
    console.log(
      `\nFailover (Redis, 2 replicas, --jobs-lock-secs ${opts['lock-secs']}): ${opts.jobs} \`sleep_ms\` jobs of ${opts['sleep-ms']} ms\n`,
    );
    console.log(
      markdownTable(
        ['finished before the kill', 'killed at ms', 'all final at ms', 'succeeded', 'lost', 'ran twice'],
        [
          [
            String(f.finishedBeforeKill),
            num(f.killedAt, 0),
            num(f.e2eMs, 0),
            String(f.succeeded),
            String(opts.jobs - f.succeeded),
            String(f.rerun),
          ],
        ],
      ),
    );
  } finally {
    redis.stop();
    rmSync(repoDir, { recursive: true, force: true });
  }
});
