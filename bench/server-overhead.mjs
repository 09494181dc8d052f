#!/usr/bin/env node
// Benchmark: what the server adds to one LSTM inference. End-to-end gRPC latency at one request in
// flight (batch 1, dynamic batching off) minus the latency of `session.run` on the same input in
// this process (onnxruntime-node, the same model file and the session options the server logged
// for its instance). Rounds alternate the two; medians of each round's p50 / p99 / mean.
// Target (issue #3): ≤ 150 µs at the median.
import { join } from 'node:path';
import { printCommand, parseCli, main } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { assertBatching, failures, measureModel } from './lib/measure.mjs';
import { makeRepository, parseParams, withParameters, removeBlock } from './lib/model-repo.mjs';
import { loadOrt, measureRuns, openSession, serverSessionOptions } from './lib/ort-inprocess.mjs';
import { runLoadInChild } from './lib/grpc-load.mjs';
import { startGrpcJsSink, startTensorgate } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { inferRequestBytes, ortFeeds, workload } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  'Server overhead: gRPC end-to-end latency of one LSTM request (batch 1, one in flight, batching off)\n' +
    'minus in-process onnxruntime-node session.run latency of the same input; interleaved rounds, medians.',
  {
    rounds: { default: 5, help: 'interleaved rounds (gRPC, then in-process); the table shows medians' },
    duration: { default: 3, help: 'seconds measured per side and round' },
    warmup: { default: 1, help: 'warm-up seconds before each measurement' },
    workload: {
      type: 'string',
      default: 'lstm',
      help: 'lstm | simple (the JS example: no in-process side, to check the script)',
    },
    'no-baseline': {
      type: 'boolean',
      help: 'skip the bare grpc-js row (same request, a reply of the same size, no protobuf and no model)',
    },
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
  const name = `${opts.workload}_overhead`;
  const repo = makeRepository(w.dir, [
    { name, edit: (t) => withParameters(removeBlock(t, 'dynamic_batching'), params) },
  ]);
  const server = await startTensorgate(repo.path);
  let bare;
  let session;
  try {
    await assertModelsReady(server.port, [name]);
    await assertBatching(server.port, { [name]: false });
    const body = inferRequestBytes(w, name, 1);
    let ort;
    let sessionOptions;
    if (w.onnxFile) {
      ort = await loadOrt();
      sessionOptions = serverSessionOptions(server, name);
      session = await openSession(ort, join(w.dir, w.onnxFile), sessionOptions);
    }
    const feeds = ort ? ortFeeds(ort, w, 1) : undefined;
    const grpcRuns = [];
    const localRuns = [];
    const bareRuns = [];
    for (let round = 0; round < opts.rounds; round++) {
      const r = await measureModel(server, name, body, {
        concurrency: 1,
        durationSec: opts.duration,
        warmupSec: opts.warmup,
        expectOutputs: w.outputs,
      });
      grpcRuns.push({ ...r, label: `round ${round} gRPC:` });
      let line = `round ${round + 1}/${opts.rounds}: gRPC p50 ${num(r.latencyMs.p50 * 1000, 0)} µs`;
      // The transport baseline replies with as many bytes as tensorgate's real response.
      if (!opts['no-baseline']) bare ??= await startGrpcJsSink(r.responseBytes);
      if (bare) {
        const e = await runLoadInChild({
          port: bare.port,
          body,
          concurrency: 1,
          durationSec: opts.duration,
          warmupSec: opts.warmup,
        });
        bareRuns.push({ ...e, label: `round ${round} bare grpc-js:` });
        line += `, bare grpc-js p50 ${num(e.latencyMs.p50 * 1000, 0)} µs`;
      }
      if (session) {
        const l = await measureRuns(session, feeds, { durationSec: opts.duration, warmupSec: opts.warmup });
        localRuns.push(l);
        line += `, session.run p50 ${num(l.latencyMs.p50 * 1000, 0)} µs`;
      }
      process.stderr.write(`${line}\n`);
    }
    const us = (runs, f) => (runs.length ? median(runs.map(f)) * 1000 : NaN);
    const e2e = { p50: us(grpcRuns, (r) => r.latencyMs.p50), p99: us(grpcRuns, (r) => r.latencyMs.p99) };
    e2e.mean = us(grpcRuns, (r) => r.latencyMs.mean);
    const run = { p50: us(localRuns, (r) => r.latencyMs.p50), p99: us(localRuns, (r) => r.latencyMs.p99) };
    run.mean = us(localRuns, (r) => r.latencyMs.mean);
    const floor = { p50: us(bareRuns, (r) => r.latencyMs.p50), p99: us(bareRuns, (r) => r.latencyMs.p99) };
    floor.mean = us(bareRuns, (r) => r.latencyMs.mean);
    const srv = (f) => median(grpcRuns.map((r) => f(r.server)));
    console.log(
      `\nworkload ${opts.workload}, batch 1, 1 request in flight, dynamic batching off, ${opts.rounds} rounds of ` +
        `${opts.duration} s per side (+${opts.warmup} s warm-up), medians of the rounds:`,
    );
    if (sessionOptions)
      console.log(`in-process session options (${sessionOptions.source}): ${JSON.stringify(sessionOptions)}`);
    console.log(
      `\n${markdownTable(
        ['latency', 'p50 µs', 'p99 µs', 'mean µs'],
        [
          ['gRPC end to end (client-measured)', num(e2e.p50, 0), num(e2e.p99, 0), num(e2e.mean, 0)],
          ['in-process session.run', num(run.p50, 0), num(run.p99, 0), num(run.mean, 0)],
          [
            '**server overhead** (difference)',
            num(e2e.p50 - run.p50, 0),
            num(e2e.p99 - run.p99, 0),
            num(e2e.mean - run.mean, 0),
          ],
          ...(bare
            ? [
                [
                  'bare grpc-js server, same request, same reply size (transport floor)',
                  num(floor.p50, 0),
                  num(floor.p99, 0),
                  num(floor.mean, 0),
                ],
                [
                  'server overhead beyond bare grpc-js (end to end − bare − session.run)',
                  num(e2e.p50 - floor.p50 - run.p50, 0),
                  num(e2e.p99 - floor.p99 - run.p99, 0),
                  num(e2e.mean - floor.mean - run.mean, 0),
                ],
              ]
            : []),
        ],
      )}`,
    );
    const success = srv((s) => s.successUs);
    console.log(
      `\nWhere the end-to-end time goes (server statistics, mean per request, µs):\n\n${markdownTable(
        ['part', 'µs'],
        [
          ['outside the server request timer (client, gRPC, loopback, decode/encode)', num(e2e.mean - success, 0)],
          ['server request total (success)', num(success, 0)],
          [
            '  queue',
            num(
              srv((s) => s.queueUs),
              0,
            ),
          ],
          [
            '  compute input',
            num(
              srv((s) => s.inputUs),
              0,
            ),
          ],
          [
            '  compute infer',
            num(
              srv((s) => s.inferUs),
              0,
            ),
          ],
          [
            '  compute output',
            num(
              srv((s) => s.outputUs),
              0,
            ),
          ],
        ],
      )}`,
    );
    if (session) {
      const overhead = e2e.p50 - run.p50;
      console.log(
        `\ntarget (overhead ≤ 150 µs at p50): ${overhead <= 150 ? 'met' : 'not met'} (${num(overhead, 0)} µs)`,
      );
    }
    const f = failures([...grpcRuns, ...bareRuns]);
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
