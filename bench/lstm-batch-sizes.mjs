#!/usr/bin/env node
// Benchmark: the batch-size table. Latency of one gRPC request carrying a batch of b series
// (b = 1, 4, 8, 16, 32), one request in flight, dynamic batching off (so the server runs each
// request as it comes), with the time per item. Rounds interleave the sizes; medians are shown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printCommand, parseCli, main } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { assertBatching, failures, measureModel } from './lib/measure.mjs';
import { makeRepository, parseParams, withParameters, readIntField, removeBlock } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { inferRequestBytes, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'Latency of one LSTM request carrying a batch of b series (one request in flight, batching off), p50/p99\n' +
    'and time per item, interleaved rounds, medians.',
  {
    batch: { type: 'list', default: '1,4,8,16,32', help: 'batch sizes (items per request, comma-separated)' },
    rounds: { default: 3, help: 'interleaved rounds; the table shows medians' },
    duration: { default: 2, help: 'seconds measured per batch size and round' },
    warmup: { default: 0.5, help: 'warm-up seconds before each measurement' },
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
  const name = `${opts.workload}_batch_sizes`;
  const maxBatch = readIntField(readFileSync(join(w.dir, 'config.pbtxt'), 'utf8'), 'max_batch_size') ?? 0;
  const sizes = opts.batch.filter((b) => b <= maxBatch);
  const skipped = opts.batch.filter((b) => b > maxBatch);
  if (sizes.length === 0) throw new Error(`no batch size fits max_batch_size ${maxBatch}`);
  const repo = makeRepository(w.dir, [
    { name, edit: (t) => withParameters(removeBlock(t, 'dynamic_batching'), params) },
  ]);
  const server = await startTensorgate(repo.path);
  try {
    await assertModelsReady(server.port, [name]);
    await assertBatching(server.port, { [name]: false });
    const bodies = new Map(sizes.map((b) => [b, inferRequestBytes(w, name, b)]));
    const all = [];
    for (let round = 0; round < opts.rounds; round++) {
      // Alternate the direction so a slow drift does not favour the small or the large sizes.
      const order = round % 2 === 0 ? sizes : [...sizes].reverse();
      for (const b of order) {
        const r = await measureModel(server, name, bodies.get(b), {
          concurrency: 1,
          durationSec: opts.duration,
          warmupSec: opts.warmup,
          items: b,
          expectOutputs: w.outputs,
        });
        all.push({ ...r, batch: b, label: `round ${round} batch ${b}:` });
        process.stderr.write(
          `round ${round + 1}/${opts.rounds} batch ${b}: p50 ${num(r.latencyMs.p50, 3)} ms, p99 ${num(r.latencyMs.p99, 3)} ms\n`,
        );
      }
    }
    const pick = (b, f) => median(all.filter((r) => r.batch === b).map(f));
    console.log(
      `\nworkload ${opts.workload}, 1 request in flight, dynamic batching off, ${opts.rounds} interleaved rounds of ` +
        `${opts.duration} s (+${opts.warmup} s warm-up), medians:\n`,
    );
    console.log(
      markdownTable(
        ['batch', 'p50 ms', 'p99 ms', 'per item µs (p50 / batch)', 'items/s', 'server compute µs / request'],
        sizes.map((b) => {
          const p50 = pick(b, (r) => r.latencyMs.p50);
          return [
            b,
            num(p50, 3),
            num(
              pick(b, (r) => r.latencyMs.p99),
              3,
            ),
            num((p50 * 1000) / b, 1),
            num(
              pick(b, (r) => r.itemsPerSec),
              0,
            ),
            num(
              pick(b, (r) => r.server.inputUs + r.server.inferUs + r.server.outputUs),
              0,
            ),
          ];
        }),
      ),
    );
    if (skipped.length) console.log(`\nskipped (above max_batch_size ${maxBatch}): ${skipped.join(', ')}`);
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
