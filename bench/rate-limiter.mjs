#!/usr/bin/env node
// The cost of the rate limiter (issue #15 item 3) when it never has to hold anything back:
// `--rate-limit execution_count` with ample resources vs `--rate-limit off`, in this process, on
// the real schedulers (the direct scheduler and the dynamic batcher) with --in-flight jobs kept in
// flight, rounds alternating. Two instances of each kind:
//   instant  instances that resolve at once (no backend): the scheduler and limiter alone, the
//            worst case for the limiter's share
//   simple   the example `simple` through the js backend (two worker threads): a real, tiny model
// With the limiter each instance needs 1 copy of `R` and the server has 100 (never short), so every
// difference is the limiter's bookkeeping: staging, the allocation scan, release. Reports jobs/s and
// main-thread CPU per job, and the execution_count / off ratios. No network, no protobuf.
// Usage: node bench/rate-limiter.mjs [--rounds 6] [--seconds 1.5] [--in-flight 32]
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { parseCli, ROOT } from './lib/cli.mjs';
import { median } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';

const args = parseCli('rate-limiter.mjs', 'Overhead of --rate-limit execution_count with ample resources vs off.', {
  rounds: { default: 6, type: 'number', help: 'rounds per configuration, alternating' },
  seconds: { default: 1.5, type: 'number', help: 'length of one round' },
  'in-flight': { default: 32, type: 'number', help: 'jobs kept in flight on the scheduler' },
});

const dist = (p) => import(join(ROOT, 'packages/server/dist', p));
const { DirectScheduler } = await dist('core/scheduling/direct-scheduler.js');
const { DynamicBatcher } = await dist('core/scheduling/dynamic-batcher.js');
const { RateLimiter } = await dist('core/scheduling/rate-limiter.js');
const { systemClock } = await dist('core/clock.js');
const { createJsBackend } = await dist('backends/js/index.js');
const { encodeElements } = await import('@tensorgate/protocol');

const io = (name) => ({ name, data_type: 'TYPE_INT32', dims: [16] });
const simpleConfig = {
  name: 'simple',
  platform: '',
  backend: 'js',
  version_policy: { latest: { num_versions: 1 } },
  max_batch_size: 8,
  input: ['INPUT0', 'INPUT1'].map((n) => ({
    ...io(n),
    format: 'FORMAT_NONE',
    is_shape_tensor: false,
    allow_ragged_batch: false,
    optional: false,
  })),
  output: ['OUTPUT0', 'OUTPUT1'].map((n) => ({ ...io(n), label_filename: '', is_shape_tensor: false })),
  instance_group: [{ name: 'simple', kind: 'KIND_CPU', count: 2, gpus: [] }],
  default_model_filename: '',
  parameters: {},
  model_transaction_policy: { decoupled: false },
  model_warmup: [],
};
const repo = join(ROOT, 'examples/model_repository');
const simple = await createJsBackend().loadModel({
  name: 'simple',
  version: 1,
  config: simpleConfig,
  modelPath: join(repo, 'simple'),
  versionPath: join(repo, 'simple', '1'),
  repositoryPath: repo,
  logger: pino({ level: 'warn' }),
});
const TIMINGS = { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };
const instant = ['i0', 'i1'].map((name) => ({ name, execute: () => Promise.resolve(TIMINGS) }));

const batching = {
  preferred_batch_size: [],
  max_queue_delay_microseconds: 0,
  preserve_ordering: false,
  priority_levels: 0,
  default_priority_level: 0,
  priority_queue_policy: {},
  default_queue_policy: {
    timeout_action: 'REJECT',
    default_timeout_microseconds: 0,
    allow_timeout_override: false,
    max_queue_size: 0,
  },
};

/** A scheduler over `instances`, with the limiter (ample resources) or without. */
function scheduler(kind, instances, limited) {
  let gate;
  if (limited) {
    const limiter = new RateLimiter([{ name: 'R', count: 100, device: -1 }]);
    gate = limiter.register(
      'm',
      instances.map((instance) => ({
        instance,
        device: 0,
        resources: [{ name: 'R', count: 1, global: false }],
        priority: 1,
      })),
    );
  }
  const noop = () => {};
  if (kind === 'direct') return new DirectScheduler(instances, systemClock, noop, 'm', gate);
  return new DynamicBatcher(
    instances,
    systemClock,
    noop,
    { name: 'm', max_batch_size: 8, input: simpleConfig.input, dynamic_batching: batching },
    gate,
  );
}

const data = encodeElements(
  'INT32',
  Array.from({ length: 16 }, (_, i) => i),
);
const signal = new AbortController().signal;
setMaxListeners(0, signal);
let failures = 0;

/** Keeps `in-flight` jobs going through `s` for `ms`; resolves with the count completed. */
function drive(s, ms) {
  return new Promise((resolve) => {
    const until = performance.now() + ms;
    let done = 0;
    let running = 0;
    const next = () => {
      running++;
      s.enqueue({
        batchSize: 1,
        priority: 0,
        timeoutUs: 0,
        request: {
          id: '',
          inputs: [
            { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data },
            { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data },
          ],
          requestedOutputs: ['OUTPUT0', 'OUTPUT1'],
          parameters: {},
          batchSize: 1,
          signal,
          sender: { send: (response) => response?.error && failures++ },
        },
        onStart() {},
        onExecuted(result) {
          if ('error' in result) failures++;
          finish();
        },
        onDropped() {
          failures++;
          finish();
        },
      });
    };
    const finish = () => {
      running--;
      done++;
      if (performance.now() < until) next();
      else if (running === 0) resolve(done);
    };
    for (let i = 0; i < args['in-flight']; i++) next();
  });
}

const cases = [];
for (const [workload, instances] of [
  ['instant', instant],
  ['simple', simple.instances],
]) {
  for (const kind of ['direct', 'dynamic batcher']) {
    cases.push({
      label: `${workload}, ${kind}`,
      off: scheduler(kind, instances, false),
      on: scheduler(kind, instances, true),
    });
  }
}

const results = new Map();
for (const c of cases) {
  await drive(c.off, 300); // warm-up
  await drive(c.on, 300);
  const r = { off: { rps: [], us: [] }, on: { rps: [], us: [] } };
  for (let round = 0; round < args.rounds; round++) {
    for (const mode of round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const c0 = threadCpuMs();
      const t0 = performance.now();
      const n = await drive(c[mode], args.seconds * 1000);
      const secs = (performance.now() - t0) / 1000;
      const cpu = cpuDelta(c0, threadCpuMs());
      r[mode].rps.push(n / secs);
      r[mode].us.push((cpu.main * 1000) / n);
    }
  }
  results.set(c.label, r);
}
await simple.unload();

console.log(`$ node bench/rate-limiter.mjs ${process.argv.slice(2).join(' ')}`.trim());
console.log(
  `\n${args['in-flight']} jobs in flight, 2 instances, ${args.rounds} rounds of ${args.seconds} s per mode, alternating (medians)\n`,
);
console.log(
  '| workload, scheduler | off jobs/s | execution_count jobs/s | ratio | off main µs/job | execution_count main µs/job | ratio |',
);
console.log('|---|---|---|---|---|---|---|');
for (const [label, r] of results) {
  const offRps = median(r.off.rps);
  const onRps = median(r.on.rps);
  const offUs = median(r.off.us);
  const onUs = median(r.on.us);
  console.log(
    `| ${label} | ${offRps.toFixed(0)} | ${onRps.toFixed(0)} | ${(onRps / offRps).toFixed(3)} | ${offUs.toFixed(2)} | ${onUs.toFixed(2)} | ${(onUs / offUs).toFixed(3)} |`,
  );
}
if (failures > 0) {
  console.error(`FAILED REQUESTS: ${failures}`);
  process.exit(1);
}
