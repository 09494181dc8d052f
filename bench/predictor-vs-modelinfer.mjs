#!/usr/bin/env node
// The cost of the custom gRPC service layer (issue #17): modelserving.Predictor/Predict (the
// example service of examples/grpc_services, run by a service worker that calls the model through
// the server's core) against inference.GRPCInferenceService/ModelInfer on the same image_classifier,
// the same 3x224x224 FP32 image (602,112 bytes of floats: Predict's packed `repeated float
// tensor_data`, ModelInfer's `raw_input_contents`), the same client library (@grpc/grpc-js, each
// request encoded once with protobufjs and sent with an identity serializer, replies not decoded
// past the first) and one server. Each variant's client runs in its own child process, closed loop
// with N calls in flight, interleaved rounds; req/s, latency, client CPU, server CPU per request.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { loadProtoRoot } from '@tensorgate/protocol';
import { main, parseCli, printCommand, ROOT } from './lib/cli.mjs';
import { makeRepository } from './lib/model-repo.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { closedLoop, reportToParent, runChild } from './lib/closed-loop.mjs';
import { median, markdownTable, num } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';
import { WORKLOADS } from './lib/workloads.mjs';

const VARIANTS = ['Predict', 'ModelInfer'];
const SERVICES = join(ROOT, 'examples', 'grpc_services');
const PROTO = join(SERVICES, 'predictor', 'service.proto');
const ELEMENTS = 3 * 224 * 224;
const identity = (b) => b;

async function child(variant, port, concurrency, durationSec, warmupSec) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 50 * 1024 * 1024,
    'grpc.max_receive_message_length': 50 * 1024 * 1024,
  });
  const image = new Float32Array(ELEMENTS).map((_, i) => Math.sin(i) * 0.5);
  let path;
  let body;
  let check;
  if (variant === 'Predict') {
    const root = protobuf.loadSync(PROTO);
    const Req = root.lookupType('modelserving.InferenceRequest');
    const Res = root.lookupType('modelserving.InferenceResponse');
    path = '/modelserving.Predictor/Predict';
    body = Buffer.from(
      Req.encode({ modelName: 'image_classifier', tensorData: image, width: 224, height: 224 }).finish(),
    );
    check = (bytes) => {
      const r = Res.decode(bytes);
      if (r.predictions.length !== 1000 || !(r.confidence > 0))
        throw new Error(`Predict: bad reply ${JSON.stringify(r).slice(0, 200)}`);
    };
  } else {
    const root = loadProtoRoot();
    const Req = root.lookupType('inference.ModelInferRequest');
    const Res = root.lookupType('inference.ModelInferResponse');
    path = '/inference.GRPCInferenceService/ModelInfer';
    body = Buffer.from(
      Req.encode({
        model_name: 'image_classifier',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224] }],
        outputs: [{ name: 'output' }],
        raw_input_contents: [new Uint8Array(image.buffer)],
      }).finish(),
    );
    check = (bytes) => {
      const r = Res.decode(bytes);
      if (r.raw_output_contents[0]?.byteLength !== 4000) throw new Error('ModelInfer: reply without the 1000 logits');
    };
  }
  const call = () =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest(path, identity, identity, body, (err, res) => (err ? reject(err) : resolve(res))),
    );
  check(await call());
  const r = await closedLoop(call, { concurrency, warmupSec, durationSec });
  client.close();
  reportToParent({
    perSec: r.perSec,
    p50: r.p50,
    p99: r.p99,
    clientCpuUs: r.cpuUsPerCall | 0,
    total: r.total + 1,
    requestBytes: body.byteLength,
  });
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    'modelserving.Predictor/Predict (a custom gRPC service) against ModelInfer on the same image_classifier, payload and grpc-js client.',
    {
      child: { type: 'string', help: '(internal) run one variant' },
      port: { type: 'number', help: '(internal) server port' },
      concurrency: { default: 8, help: 'calls in flight' },
      duration: { default: 4, help: 'seconds measured per variant and round' },
      warmup: { default: 1, help: 'warm-up seconds per variant and round' },
      rounds: { default: 3, help: 'interleaved rounds (medians reported)' },
      transport: { type: 'string', default: 'native', help: 'server --grpc-transport (native or grpc-js)' },
    },
  );
  if (opts.child) return child(opts.child, opts.port, opts.concurrency, opts.duration, opts.warmup);
  printCommand();
  const repo = makeRepository(WORKLOADS.classifier.dir, [{ name: 'image_classifier' }]);
  const server = await startTensorgate(repo.path, ['--grpc-services', SERVICES, '--grpc-transport', opts.transport]);
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
    `\nimage_classifier, one 3x224x224 FP32 image per call, ${opts.concurrency} calls in flight, --grpc-transport ${opts.transport}, ` +
      `${opts.rounds} interleaved rounds of ${opts.duration} s, medians:\n`,
  );
  console.log(
    markdownTable(
      [
        'rpc',
        'request bytes',
        'req/s',
        'p50 ms',
        'p99 ms',
        'client CPU µs / req',
        'server event loop µs / req',
        'server other threads µs / req',
      ],
      VARIANTS.map((v) => [
        v === 'Predict' ? 'modelserving.Predictor/Predict' : 'GRPCInferenceService/ModelInfer',
        String(results[v][0].requestBytes),
        num(med(v, 'perSec')),
        num(med(v, 'p50'), 3),
        num(med(v, 'p99'), 3),
        num(med(v, 'clientCpuUs')),
        num(med(v, 'serverMainUs')),
        num(med(v, 'serverOtherUs')),
      ]),
    ),
  );
  const ratio = med('Predict', 'perSec') / med('ModelInfer', 'perSec');
  console.log(`\nPredict / ModelInfer req/s: ${num(ratio * 100, 1)}% (target >= 85%)`);
  console.log(`\nall rounds: ${JSON.stringify(results)}`);
});
