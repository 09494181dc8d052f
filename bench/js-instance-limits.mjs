#!/usr/bin/env node
// The cost of the instance limits on the js backend's hot path (issue #12 item 5): the `simple`
// model loaded twice in this process through the js backend, once with `execution_timeout_ms` and
// `memory_limit_mb` at their defaults (watchdog sweep, V8 heap cap, RSS sampling every 10 ms while
// busy, the inspector session attached to the worker) and once with both at 0 (off), driven
// directly through `ModelInstance.execute` with --in-flight requests kept in flight, rounds
// alternating. Reports requests/s and CPU per request on the main thread and on the other threads
// (the worker), and the limits-on / limits-off ratios. No network, no protobuf: just the instance.
// Usage: node bench/js-instance-limits.mjs [--rounds 6] [--seconds 2] [--in-flight 64]
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { parseCli, ROOT } from './lib/cli.mjs';
import { median } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';

const args = parseCli('js-instance-limits.mjs', 'Hot-path cost of execution_timeout_ms and memory_limit_mb.', {
  rounds: { default: 6, type: 'number', help: 'rounds per configuration, alternating' },
  seconds: { default: 2, type: 'number', help: 'length of one round' },
  'in-flight': { default: 64, type: 'number', help: 'requests kept in flight on the instance' },
});

const { createJsBackend } = await import(join(ROOT, 'packages/server/dist/backends/js/index.js'));
const { encodeElements } = await import('@tensorgate/protocol');

const io = (name) => ({ name, data_type: 'TYPE_INT32', dims: [16] });
function config(parameters) {
  return {
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
    instance_group: [{ name: 'simple', kind: 'KIND_CPU', count: 1, gpus: [] }],
    default_model_filename: '',
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { string_value: v }])),
    model_transaction_policy: { decoupled: false },
    model_warmup: [],
  };
}

const repo = join(ROOT, 'examples/model_repository');
const logger = pino({ level: 'warn' });
const backend = createJsBackend();
const load = (parameters) =>
  backend.loadModel({
    name: 'simple',
    version: 1,
    config: config(parameters),
    modelPath: join(repo, 'simple'),
    versionPath: join(repo, 'simple', '1'),
    repositoryPath: repo,
    logger,
  });
const variants = [
  ['limits on (defaults)', await load({})],
  ['limits off', await load({ execution_timeout_ms: '0', memory_limit_mb: '0' })],
];

const data = encodeElements(
  'INT32',
  Array.from({ length: 16 }, (_, i) => i),
);
// One never-aborted signal for every request (each in-flight request listens to it).
const signal = new AbortController().signal;
setMaxListeners(0, signal);
let failures = 0;
function request(onDone) {
  return {
    id: '',
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data },
    ],
    requestedOutputs: ['OUTPUT0', 'OUTPUT1'],
    parameters: {},
    batchSize: 1,
    signal,
    sender: {
      send(response) {
        if (response?.error) failures++;
        onDone();
      },
    },
  };
}

/** Keeps `inFlight` requests going on `instance` for `ms`; resolves with the count completed. */
function drive(instance, ms) {
  return new Promise((resolve) => {
    const until = performance.now() + ms;
    let done = 0;
    let running = 0;
    const next = () => {
      running++;
      instance.execute([request(() => undefined)]).then(finish, finish);
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

const results = new Map(variants.map(([name]) => [name, { rps: [], mainUs: [], otherUs: [] }]));
await drive(variants[0][1].instances[0], 500); // warm-up
await drive(variants[1][1].instances[0], 500);
for (let round = 0; round < args.rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const [name, model] of order) {
    const c0 = threadCpuMs();
    const t0 = performance.now();
    const n = await drive(model.instances[0], args.seconds * 1000);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuDelta(c0, threadCpuMs());
    const r = results.get(name);
    r.rps.push(n / secs);
    r.mainUs.push((cpu.main * 1000) / n);
    r.otherUs.push((cpu.other * 1000) / n);
  }
}
for (const [, model] of variants) await model.unload();

console.log(`$ node bench/js-instance-limits.mjs ${process.argv.slice(2).join(' ')}`.trim());
console.log(
  `\nsimple, one instance, ${args['in-flight']} in flight, ${args.rounds} rounds of ${args.seconds} s each (medians)\n`,
);
console.log('| configuration | requests/s | main thread µs/request | other threads µs/request |');
console.log('|---|---|---|---|');
const med = (name, key) => median(results.get(name)[key]);
for (const [name] of variants) {
  console.log(
    `| ${name} | ${med(name, 'rps').toFixed(0)} | ${med(name, 'mainUs').toFixed(2)} | ${med(name, 'otherUs').toFixed(2)} |`,
  );
}
const [on, off] = variants.map(([name]) => name);
console.log(
  `| on / off | ${(med(on, 'rps') / med(off, 'rps')).toFixed(3)} | ${(med(on, 'mainUs') / med(off, 'mainUs')).toFixed(3)} | ${(med(on, 'otherUs') / med(off, 'otherUs')).toFixed(3)} |`,
);
if (failures > 0) {
  console.error(`FAILED REQUESTS: ${failures}`);
  process.exit(1);
}
