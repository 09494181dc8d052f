#!/usr/bin/env node
// Benchmark: dynamic batching on vs off for the LSTM forecaster over gRPC, at several request counts
// in flight, in one run. One server serves two copies of the model (lstm_batching_on with the
// example's dynamic_batching block, lstm_batching_off without it), and the rounds interleave the
// two (alternating which goes first) so drift on a noisy machine hits both alike. Medians of the
// rounds go into a Markdown table. Target (issue #3): ≥ 3x throughput at 32 in flight, p99 no worse.
import { printCommand, parseCli, main } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { assertBatching, failures, measureModel } from './lib/measure.mjs';
import { makeRepository, parseParams, withParameters, removeBlock, withDynamicBatching } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { inferRequestBytes, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'LSTM throughput and latency over gRPC with dynamic batching on vs off, at several requests in flight\n' +
    '(closed loop, one request = one series), interleaved rounds, medians.',
  {
    concurrency: { type: 'list', default: '1,8,32,64', help: 'requests in flight (comma-separated)' },
    rounds: { default: 3, help: 'interleaved rounds; the table shows medians' },
    duration: { default: 3, help: 'seconds measured per (in-flight, on/off) cell and round' },
    warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    'max-queue-delay-us': {
      help: "override dynamic_batching's max_queue_delay_microseconds (default: the example's config)",
    },
    preferred: { type: 'list', help: 'override preferred_batch_size, e.g. 16,32 (default: the example)' },
    workload: { type: 'string', default: 'lstm', help: 'lstm | simple (the JS example, to check the script)' },
    'model-dir': { type: 'string', help: "model folder to copy instead of the workload's example" },
    param: {
      type: 'string',
      help: 'config parameters for the copies, key=value[,key=value], e.g. intra_op_thread_count=1',
    },
  },
);

main(async () => {
  printCommand();
  const w = workload(opts.workload, opts['model-dir']);
  const params = parseParams(opts.param);
  const names = { on: `${opts.workload}_batching_on`, off: `${opts.workload}_batching_off` };
  const override = opts['max-queue-delay-us'] !== undefined || opts.preferred !== undefined;
  const repo = makeRepository(w.dir, [
    {
      name: names.on,
      edit: (t) =>
        withParameters(
          withDynamicBatching(
            t,
            override ? { maxQueueDelayUs: opts['max-queue-delay-us'], preferred: opts.preferred } : {},
          ),
          params,
        ),
    },
    { name: names.off, edit: (t) => withParameters(removeBlock(t, 'dynamic_batching'), params) },
  ]);
  const server = await startTensorgate(repo.path);
  try {
    await assertModelsReady(server.port, [names.on, names.off]);
    await assertBatching(server.port, { [names.on]: true, [names.off]: false });
    const bodies = { on: inferRequestBytes(w, names.on, 1), off: inferRequestBytes(w, names.off, 1) };
    const all = [];
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const concurrency of opts.concurrency) {
        for (const mode of order) {
          const r = await measureModel(server, names[mode], bodies[mode], {
            concurrency,
            durationSec: opts.duration,
            warmupSec: opts.warmup,
            expectOutputs: w.outputs,
          });
          all.push({ ...r, round, mode, label: `round ${round} in-flight ${concurrency} batching ${mode}:` });
          process.stderr.write(
            `round ${round + 1}/${opts.rounds} in-flight ${concurrency} batching ${mode}: ${num(r.rps)} req/s, ` +
              `p99 ${num(r.latencyMs.p99, 3)} ms, mean batch ${num(r.server.meanBatch, 2)}; server per request: ` +
              `queue ${num(r.server.queueUs, 0)} µs, compute ${num(r.server.inputUs + r.server.inferUs + r.server.outputUs, 0)} µs, ` +
              `total ${num(r.server.successUs, 0)} µs\n`,
          );
        }
      }
    }
    const pick = (c, mode, f) => median(all.filter((r) => r.concurrency === c && r.mode === mode).map(f));
    const rows = opts.concurrency.map((c) => {
      const [on, off] = ['on', 'off'].map((m) => ({
        rps: pick(c, m, (r) => r.rps),
        p50: pick(c, m, (r) => r.latencyMs.p50),
        p99: pick(c, m, (r) => r.latencyMs.p99),
        batch: pick(c, m, (r) => r.server.meanBatch),
      }));
      return { c, on, off };
    });
    console.log(
      `\nworkload ${opts.workload}, ${opts.rounds} interleaved rounds of ${opts.duration} s (+${opts.warmup} s warm-up) per cell, medians:\n`,
    );
    console.log(
      markdownTable(
        [
          'in flight',
          'req/s on',
          'req/s off',
          'on / off',
          'p50 ms on',
          'p50 ms off',
          'p99 ms on',
          'p99 ms off',
          'mean batch on',
        ],
        rows.map(({ c, on, off }) => [
          c,
          num(on.rps),
          num(off.rps),
          `${num(on.rps / off.rps, 2)}x`,
          num(on.p50, 3),
          num(off.p50, 3),
          num(on.p99, 3),
          num(off.p99, 3),
          num(on.batch, 2),
        ]),
      ),
    );
    const at32 = rows.find((r) => r.c === 32);
    if (at32) {
      const ratio = at32.on.rps / at32.off.rps;
      const met = ratio >= 3 && at32.on.p99 <= at32.off.p99;
      console.log(
        `\ntarget at 32 in flight (≥ 3x throughput, p99 no worse): ${met ? 'met' : 'not met'} ` +
          `(${num(ratio, 2)}x, p99 ${num(at32.on.p99, 3)} vs ${num(at32.off.p99, 3)} ms)`,
      );
    }
    console.log(
      `\nall rounds (req/s): ${JSON.stringify(
        Object.fromEntries(
          opts.concurrency.flatMap((c) =>
            ['on', 'off'].map((m) => [
              `${c}-${m}`,
              all.filter((r) => r.concurrency === c && r.mode === m).map((r) => Math.round(r.rps)),
            ]),
          ),
        ),
      )}`,
    );
    const f = failures(all);
    if (f.total > 0) {
      console.log(`\nFAILED REQUESTS: ${f.total}\n${f.lines.join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
    repo.remove();
  }
});
