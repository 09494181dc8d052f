#!/usr/bin/env node
// BLS against the client doing the same work (issue #13): a chain of 10 calls to `simple`, each
// call's OUTPUT0 the next call's INPUT0 (INPUT1 fixed), so that the result is a + 10·b.
//   bls     one gRPC call to `bls_simple10`, a JS model that makes the 10 calls itself through the
//           server's core (request.models.infer), never over the network
//   client  the 10 calls made by a gRPC client one after another, decoding each reply
//           (protobufjs) to build the next request
// One tensorgate serves both (same run); each variant's client runs in its own child process,
// closed loop with N chains in flight, interleaved rounds. Reports chains/s, chain latency, the
// client's CPU per chain and the server's CPU per chain (event loop / other threads, from /proc).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main, parseCli, printCommand } from './lib/cli.mjs';
import { makeRepository } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { closedLoop, reportToParent, runChild } from './lib/closed-loop.mjs';
import { rawGrpcClient } from './lib/raw-grpc.mjs';
import { median, markdownTable, num } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';
import { WORKLOADS } from './lib/workloads.mjs';

const VARIANTS = ['bls', 'client'];
const CALLS = 10;

/**
 * The BLS model: simple's interface, OUTPUT0 = INPUT0 + 10·INPUT1 by 10 chained calls to simple.
 * An instance runs one execution at a time, and this one spends it waiting on its calls: dynamic
 * batching hands it the requests that arrived meanwhile, whose chains then run side by side.
 */
const BLS_MODEL = `export default class {
  async execute(requests) {
    return Promise.all(requests.map(async (request) => {
      let a = request.input('INPUT0');
      const b = request.input('INPUT1');
      for (let i = 0; i < ${CALLS}; i++) {
        const r = await request.models.infer({ model: 'simple', inputs: [{ ...a, name: 'INPUT0' }, b], outputs: ['OUTPUT0'] });
        if (r.error) return r.error;
        a = r.output('OUTPUT0');
      }
      return { outputs: [{ name: 'OUTPUT0', data: a.data }] };
    }));
  }
}
`;

const BLS_CONFIG = `name: "bls_simple10"
backend: "js"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] } ]
dynamic_batching { }
`;

async function child(variant, port, concurrency, durationSec, warmupSec) {
  const c = rawGrpcClient(port);
  const a0 = new Int32Array(16).map((_, i) => i);
  const b = new Int32Array(16).fill(3);
  const bytes = (arr) => new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  const shape = [1, 16];
  const infer = async (model, a) => {
    const res = await c.infer({
      model_name: model,
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape },
        { name: 'INPUT1', datatype: 'INT32', shape },
      ],
      outputs: [{ name: 'OUTPUT0' }],
      raw_input_contents: [bytes(a), bytes(b)],
    });
    const raw = res.raw_output_contents[0];
    return new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };
  const chain =
    variant === 'bls'
      ? () => infer('bls_simple10', a0)
      : async () => {
          let a = a0;
          for (let i = 0; i < CALLS; i++) a = await infer('simple', a);
          return a;
        };
  const expected = a0.map((x, i) => x + CALLS * b[i]);
  const first = await chain();
  if (first.join() !== expected.join()) throw new Error(`${variant}: got ${first}, expected ${expected}`);
  const r = await closedLoop(chain, { concurrency, warmupSec, durationSec });
  c.close();
  reportToParent({
    chainsPerSec: r.perSec,
    p50: r.p50,
    p99: r.p99,
    clientCpuUs: r.cpuUsPerCall | 0,
    total: r.total + 1,
  });
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    `A JS model calling simple ${CALLS} times per request (BLS) against the same ${CALLS} chained calls made by a gRPC client.`,
    {
      child: { type: 'string', help: '(internal) run one variant' },
      port: { type: 'number', help: '(internal) server port' },
      concurrency: { default: 4, help: 'chains in flight' },
      duration: { default: 3, help: 'seconds measured per variant and round' },
      warmup: { default: 1, help: 'warm-up seconds per variant and round' },
      rounds: { default: 3, help: 'interleaved rounds (medians reported)' },
    },
  );
  if (opts.child) return child(opts.child, opts.port, opts.concurrency, opts.duration, opts.warmup);
  printCommand();
  const repo = makeRepository(WORKLOADS.simple.dir, [{ name: 'simple' }]);
  mkdirSync(join(repo.path, 'bls_simple10', '1'), { recursive: true });
  writeFileSync(join(repo.path, 'bls_simple10', 'config.pbtxt'), BLS_CONFIG);
  writeFileSync(join(repo.path, 'bls_simple10', '1', 'model.js'), BLS_MODEL);
  const server = await startTensorgate(repo.path);
  const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    const childOpts = ['--concurrency', opts.concurrency, '--duration', opts.duration, '--warmup', opts.warmup].map(
      String,
    );
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        const before = threadCpuMs(server.pid);
        const res = await runChild(import.meta.url, v, server.port, childOpts);
        const cpu = before ? cpuDelta(before, threadCpuMs(server.pid)) : undefined;
        // Server CPU over the whole child run (warm-up included) per chain it served.
        if (cpu) {
          res.serverMainUs = (cpu.main * 1000) / res.total;
          res.serverOtherUs = (cpu.other * 1000) / res.total;
        }
        results[v].push(res);
      }
    }
  } finally {
    await server.stop();
    repo.remove();
  }
  const med = (v, k) => median(results[v].map((x) => x[k]));
  console.log(
    `\n${CALLS} chained calls to simple per chain, ${opts.concurrency} chains in flight, ` +
      `${opts.rounds} interleaved rounds of ${opts.duration} s, medians:\n`,
  );
  console.log(
    markdownTable(
      [
        'variant',
        'chains/s',
        'p50 ms',
        'p99 ms',
        'client CPU µs / chain',
        'server event loop µs / chain',
        'server other threads µs / chain',
      ],
      VARIANTS.map((v) => [
        v === 'bls' ? `bls (1 gRPC call, ${CALLS} BLS calls)` : `client (${CALLS} gRPC calls)`,
        num(med(v, 'chainsPerSec')),
        num(med(v, 'p50'), 3),
        num(med(v, 'p99'), 3),
        num(med(v, 'clientCpuUs')),
        num(med(v, 'serverMainUs')),
        num(med(v, 'serverOtherUs')),
      ]),
    ),
  );
  console.log(`\nbls / client chains/s: ${num(med('bls', 'chainsPerSec') / med('client', 'chainsPerSec'), 2)}x`);
  console.log(`\nall rounds: ${JSON.stringify(results)}`);
});
