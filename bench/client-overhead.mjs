#!/usr/bin/env node
// Client overhead of @tensorgate/client over gRPC against a raw grpc-js call for the same request
// (issue #4). One tensorgate serves `simple`; each client variant runs in its own child process,
// closed loop at N in flight, interleaved rounds, and reports throughput, latency and the client's
// own CPU time per request (process.cpuUsage), which is the number that matters: the server is the
// same for every variant.
//
// Variants:
//   raw-bytes  grpc-js makeUnaryRequest with the request encoded once and the reply left undecoded
//              (the floor: what grpc-js itself costs per call)
//   raw-pb     grpc-js with protobufjs encode and decode on every call (a hand-written client)
//   sdk        InferenceClient.grpc: InferInput.setData, infer(), asTypedArray() on every call
import { main, parseCli, printCommand } from './lib/cli.mjs';
import { makeRepository } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { closedLoop, reportToParent, runChild } from './lib/closed-loop.mjs';
import { median, markdownTable, num } from './lib/stats.mjs';
import { WORKLOADS, inferRequestBytes, inputData } from './lib/workloads.mjs';

const VARIANTS = ['raw-bytes', 'raw-pb', 'sdk'];

async function child(variant, port, concurrency, durationSec, warmupSec) {
  const grpc = await import('@grpc/grpc-js');
  const { loadProtoRoot } = await import('@tensorgate/protocol');
  const { InferenceClient, InferInput } = await import('@tensorgate/client');
  const w = WORKLOADS.simple;
  const data = w.inputs.map((i) => inputData(i, 1));
  const path = '/inference.GRPCInferenceService/ModelInfer';
  const identity = (b) => b;
  let call;
  let close;
  if (variant === 'sdk') {
    const client = InferenceClient.grpc(`127.0.0.1:${port}`);
    call = async () => {
      const inputs = w.inputs.map((i, k) => new InferInput(i.name, [1, ...i.dims], i.datatype).setData(data[k]));
      const r = await client.infer('simple', inputs);
      if (r.asTypedArray('OUTPUT0').length !== 16) throw new Error('bad reply');
    };
    close = () => client.close();
  } else {
    const root = loadProtoRoot();
    const Req = root.lookupType('inference.ModelInferRequest');
    const Res = root.lookupType('inference.ModelInferResponse');
    const pre = inferRequestBytes(w, 'simple', 1);
    const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const encode =
      variant === 'raw-bytes'
        ? () => pre
        : () =>
            Buffer.from(
              Req.encode({
                model_name: 'simple',
                inputs: w.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: [1, ...i.dims] })),
                raw_input_contents: data.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)),
              }).finish(),
            );
    const decode = variant === 'raw-bytes' ? identity : (b) => Res.decode(b);
    call = () =>
      new Promise((resolve, reject) =>
        c.makeUnaryRequest(path, identity, decode, encode(), (err, res) => (err ? reject(err) : resolve(res))),
      );
    close = () => c.close();
  }
  const r = await closedLoop(call, { concurrency, warmupSec, durationSec });
  close();
  reportToParent({ rps: r.perSec, p50: r.p50, p99: r.p99, cpuUs: r.cpuUsPerCall });
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    'Client CPU per request of @tensorgate/client (gRPC) against raw grpc-js calls, same server and request.',
    {
      child: { type: 'string', help: '(internal) run one client variant' },
      port: { type: 'number', help: '(internal) server port' },
      concurrency: { default: 8, help: 'requests in flight' },
      duration: { default: 3, help: 'seconds measured per variant and round' },
      warmup: { default: 1, help: 'warm-up seconds per variant and round' },
      rounds: { default: 3, help: 'interleaved rounds (medians reported)' },
    },
  );
  if (opts.child) return child(opts.child, opts.port, opts.concurrency, opts.duration, opts.warmup);
  printCommand();
  const repo = makeRepository(WORKLOADS.simple.dir, [{ name: 'simple' }]);
  const server = await startTensorgate(repo.path);
  const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    const childOpts = ['--concurrency', opts.concurrency, '--duration', opts.duration, '--warmup', opts.warmup].map(
      String,
    );
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) results[v].push(await runChild(import.meta.url, v, server.port, childOpts));
    }
  } finally {
    await server.stop();
    repo.remove();
  }
  const med = (v, k) => median(results[v].map((x) => x[k]));
  const floor = med('raw-bytes', 'cpuUs');
  console.log(
    `\nsimple over gRPC, ${opts.concurrency} in flight, ${opts.rounds} interleaved rounds of ${opts.duration} s, medians:\n`,
  );
  console.log(
    markdownTable(
      ['client', 'req/s', 'p50 ms', 'p99 ms', 'client CPU µs / req', 'over raw grpc-js'],
      VARIANTS.map((v) => [
        v,
        num(med(v, 'rps')),
        num(med(v, 'p50'), 3),
        num(med(v, 'p99'), 3),
        num(med(v, 'cpuUs')),
        v === 'raw-bytes' ? '–' : `+${num(med(v, 'cpuUs') - floor)} µs`,
      ]),
    ),
  );
  console.log(`\nall rounds: ${JSON.stringify(results)}`);
});
