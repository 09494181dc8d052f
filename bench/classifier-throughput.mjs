#!/usr/bin/env node
// Benchmark: image_classifier throughput through the server vs onnxruntime-node in this process.
// The server side: gRPC, one image per request, a few requests in flight, dynamic batching on as the
// example configures it. The in-process side: back-to-back session.run on batches of the size the
// server's batcher actually formed in the same round (its statistics: inferences / executions),
// with the session options the server logged, on the same cores. Rounds alternate the two; medians.
import { join } from 'node:path';
import { printCommand, parseCli, main } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { assertBatching, failures, measureModel } from './lib/measure.mjs';
import { makeRepository, parseParams, withDynamicBatching, withParameters } from './lib/model-repo.mjs';
import { loadOrt, measureRuns, openSession, serverSessionOptions } from './lib/ort-inprocess.mjs';
import { runLoadInChild } from './lib/grpc-load.mjs';
import { startGrpcJsSink, startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { inferRequestBytes, ortFeeds, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'image_classifier throughput: server over gRPC (one image per request, batching on) vs in-process\n' +
    'onnxruntime-node session.run on batches of the size the server formed; interleaved rounds, medians.',
  {
    concurrency: { default: 8, help: 'requests (images) in flight against the server' },
    rounds: { default: 3, help: 'interleaved rounds (server, then in-process); the table shows medians' },
    duration: { default: 5, help: 'seconds measured per side and round' },
    warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    batch: { help: "in-process batch size (default: the server's mean batch size of the same round, rounded)" },
    'max-queue-delay-us': {
      help: "override dynamic_batching's max_queue_delay_microseconds (default: the example's config)",
    },
    workload: {
      type: 'string',
      default: 'classifier',
      help: 'classifier | lstm | simple (the JS example: no in-process side, to check the script)',
    },
    'model-dir': { type: 'string', help: "model folder to copy instead of the workload's example" },
    param: {
      type: 'string',
      help: 'config parameters for the copy, key=value[,key=value], e.g. intra_op_thread_count=1',
    },
    'no-baseline': {
      type: 'boolean',
      help: 'skip the bare grpc-js row (same requests, replies of the same size, no protobuf and no model)',
    },
  },
);

main(async () => {
  printCommand();
  const w = workload(opts.workload, opts['model-dir']);
  const name = `${opts.workload}_throughput`;
  const params = parseParams(opts.param);
  const delay = opts['max-queue-delay-us'];
  const repo = makeRepository(w.dir, [
    {
      name,
      edit: (t) =>
        withParameters(withDynamicBatching(t, delay === undefined ? {} : { maxQueueDelayUs: delay }), params),
    },
  ]);
  const server = await startTensorgate(repo.path);
  let bare;
  let session;
  try {
    await assertModelsReady(server.port, [name]);
    await assertBatching(server.port, { [name]: true });
    const body = inferRequestBytes(w, name, 1);
    let ort;
    let sessionOptions;
    if (w.onnxFile) {
      ort = await loadOrt();
      sessionOptions = serverSessionOptions(server, name);
      session = await openSession(ort, join(w.dir, w.onnxFile), sessionOptions);
    }
    const feedsBySize = new Map();
    const served = [];
    const local = [];
    const bareRuns = [];
    for (let round = 0; round < opts.rounds; round++) {
      const r = await measureModel(server, name, body, {
        concurrency: opts.concurrency,
        durationSec: opts.duration,
        warmupSec: opts.warmup,
        expectOutputs: w.outputs,
      });
      served.push({ ...r, label: `round ${round} server:` });
      let line = `round ${round + 1}/${opts.rounds}: server ${num(r.itemsPerSec)} items/s (mean batch ${num(r.server.meanBatch, 2)})`;
      // The transport baseline replies with as many bytes as tensorgate's real response.
      if (!opts['no-baseline']) bare ??= await startGrpcJsSink(r.responseBytes);
      if (bare) {
        const e = await runLoadInChild({
          port: bare.port,
          body,
          concurrency: opts.concurrency,
          durationSec: opts.duration,
          warmupSec: opts.warmup,
        });
        bareRuns.push({ ...e, label: `round ${round} bare grpc-js:` });
        line += `, bare grpc-js ${num(e.rps)} req/s`;
      }
      if (session) {
        const b = opts.batch ?? Math.max(1, Math.round(r.server.meanBatch));
        if (!feedsBySize.has(b)) feedsBySize.set(b, ortFeeds(ort, w, b));
        const l = await measureRuns(session, feedsBySize.get(b), {
          durationSec: opts.duration,
          warmupSec: opts.warmup,
        });
        local.push({ ...l, batch: b, itemsPerSec: l.runsPerSec * b });
        line += `, in-process ${num(l.runsPerSec * b)} items/s (batch ${b})`;
      }
      process.stderr.write(`${line}\n`);
    }
    const med = (runs, f) => (runs.length ? median(runs.map(f)) : NaN);
    const serverRate = med(served, (r) => r.itemsPerSec);
    const localRate = med(local, (r) => r.itemsPerSec);
    console.log(
      `\nworkload ${opts.workload}, ${opts.concurrency} in flight (1 item per request), dynamic batching on, ` +
        `${opts.rounds} rounds of ${opts.duration} s per side (+${opts.warmup} s warm-up), medians of the rounds:`,
    );
    if (sessionOptions)
      console.log(`in-process session options (${sessionOptions.source}): ${JSON.stringify(sessionOptions)}`);
    console.log(
      `\n${markdownTable(
        ['side', 'items/s', 'batch', 'latency p50 ms', 'latency p99 ms'],
        [
          [
            'server, gRPC',
            num(serverRate),
            `${num(
              med(served, (r) => r.server.meanBatch),
              2,
            )} (mean formed)`,
            num(
              med(served, (r) => r.latencyMs.p50),
              3,
            ),
            num(
              med(served, (r) => r.latencyMs.p99),
              3,
            ),
          ],
          [
            'in-process session.run',
            num(localRate),
            local.length ? [...new Set(local.map((l) => l.batch))].join(', ') : 'n/a',
            `${num(
              med(local, (r) => r.latencyMs.p50),
              3,
            )} (per batch)`,
            `${num(
              med(local, (r) => r.latencyMs.p99),
              3,
            )} (per batch)`,
          ],
          ...(bare
            ? [
                [
                  'bare grpc-js server, same request, same reply size (transport ceiling)',
                  num(med(bareRuns, (r) => r.rps)),
                  '–',
                  num(
                    med(bareRuns, (r) => r.latencyMs.p50),
                    3,
                  ),
                  num(
                    med(bareRuns, (r) => r.latencyMs.p99),
                    3,
                  ),
                ],
              ]
            : []),
        ],
      )}`,
    );
    console.log(`\nserver / in-process throughput: **${num((serverRate / localRate) * 100, 1)} %**`);
    if (bare) console.log(`server / bare grpc-js: ${num((serverRate / med(bareRuns, (r) => r.rps)) * 100, 1)} %`);
    console.log(
      `all rounds (items/s): server ${JSON.stringify(served.map((r) => Math.round(r.itemsPerSec)))}, ` +
        `in-process ${JSON.stringify(local.map((r) => Math.round(r.itemsPerSec)))}, ` +
        `bare grpc-js ${JSON.stringify(bareRuns.map((r) => Math.round(r.rps)))}`,
    );
    const f = failures([...served, ...bareRuns]);
    if (f.total > 0) {
      console.log(`\nFAILED REQUESTS: ${f.total}\n${f.lines.join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    await session?.release();
    await bare?.stop();
    await server.stop();
    repo.remove();
  }
});
