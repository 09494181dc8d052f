#!/usr/bin/env node
// Benchmark of the benchmark: the closed-loop load generator (bench/lib/grpc-load.mjs) against the
// bare grpc-js echo server (bench/grpcjs-echo-server.mjs, no protobuf, no model), with the request
// bodies the LSTM and classifier scripts send. It shows the ceiling the generator can measure on
// this machine (client and server share the cores), its own latency floor, and its CPU cost per
// request, so the tensorgate numbers can be read against it.
import { printCommand, parseCli, main } from './lib/cli.mjs';
import { failures } from './lib/measure.mjs';
import { runLoadInChild } from './lib/grpc-load.mjs';
import { startGrpcJsEcho } from './lib/server-process.mjs';
import { markdownTable, median, num } from './lib/stats.mjs';
import { inferRequestBytes, WORKLOADS } from './lib/workloads.mjs';

const opts = parseCli(
  import.meta.url,
  "The load generator's own overhead: throughput, latency and client CPU per request against a bare\n" +
    'grpc-js echo server, with the LSTM (batch 1) and classifier (one image) request bodies.',
  {
    concurrency: { type: 'list', default: '1,8,32,64', help: 'requests in flight (comma-separated)' },
    rounds: { default: 3, help: 'rounds; the table shows medians' },
    duration: { default: 2, help: 'seconds measured per cell and round' },
    warmup: { default: 0.5, help: 'warm-up seconds before each measurement' },
    bodies: { type: 'string', default: 'lstm,classifier', help: 'request bodies to send: lstm, classifier, simple' },
  },
);

main(async () => {
  printCommand();
  const bodies = opts.bodies.split(',').map((k) => {
    if (!WORKLOADS[k]) throw new Error(`unknown body ${k}`);
    return { key: k, body: inferRequestBytes(WORKLOADS[k], k, 1) };
  });
  const echo = await startGrpcJsEcho();
  try {
    const all = [];
    for (let round = 0; round < opts.rounds; round++) {
      for (const { key, body } of bodies) {
        for (const concurrency of opts.concurrency) {
          const r = await runLoadInChild({
            port: echo.port,
            body,
            concurrency,
            durationSec: opts.duration,
            warmupSec: opts.warmup,
          });
          all.push({ ...r, key, bytes: body.length, label: `round ${round} ${key} in-flight ${concurrency}:` });
          process.stderr.write(
            `round ${round + 1}/${opts.rounds} ${key} in-flight ${concurrency}: ${num(r.rps)} req/s\n`,
          );
        }
      }
    }
    const pick = (key, c, f) => median(all.filter((r) => r.key === key && r.concurrency === c).map(f));
    console.log(
      `\nbare grpc-js echo server, ${opts.rounds} rounds of ${opts.duration} s (+${opts.warmup} s warm-up), medians:\n`,
    );
    console.log(
      markdownTable(
        ['body', 'in flight', 'req/s', 'p50 µs', 'p99 µs', 'client CPU µs / req', 'client CPU share'],
        bodies.flatMap(({ key, body }) =>
          opts.concurrency.map((c) => [
            `${key} (${num(body.length, 0)} B)`,
            c,
            num(pick(key, c, (r) => r.rps)),
            num(
              pick(key, c, (r) => r.latencyMs.p50 * 1000),
              0,
            ),
            num(
              pick(key, c, (r) => r.latencyMs.p99 * 1000),
              0,
            ),
            num(
              pick(key, c, (r) => r.clientCpuUsPerRequest),
              1,
            ),
            `${num(
              pick(key, c, (r) => r.clientCpuShare * 100),
              0,
            )} %`,
          ]),
        ),
      ),
    );
    console.log('\n(client CPU share: CPU time of the load generator process / wall time; 100 % = one core)');
    const f = failures(all);
    if (f.total > 0) {
      console.log(`\nFAILED REQUESTS: ${f.total}\n${f.lines.join('\n')}`);
      process.exitCode = 1;
    }
  } finally {
    await echo.stop();
  }
});
