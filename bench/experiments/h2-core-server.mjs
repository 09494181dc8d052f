#!/usr/bin/env node
// MEASUREMENT ONLY, never a product path. Serves gRPC ModelInfer for the example repository through
// a minimal hand-written node:http2 handler (no @grpc/grpc-js) in front of tensorgate's real core:
// the same decode, validation, scheduling and encode as the product. With `--inline`, `simple` is
// computed by an in-process backend on the event loop instead of the JS worker-thread backend,
// which tensorgate never does; it only sizes what the worker crossing costs.
// Used by `node bench/grpc-vs-echo.mjs --experiments`. Prints its port on stdout.
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadProtoRoot } from '@tensorgate/protocol';
import { createServer, parseSettings } from 'tensorgate';
import { decodeInferRequest, encodeInferResponse } from '../../packages/server/dist/frontends/grpc/infer-codec.js';
import { CancelSource } from '../../packages/server/dist/core/cancel-signal.js';

const repository = fileURLToPath(new URL('../../examples/model_repository', import.meta.url));
const inline = process.argv.includes('--inline');
// --via-grpc-js: serve through tensorgate's own gRPC frontend (grpc-js) instead of the hand-written
// handler; with --inline it sizes the worker crossing inside the product's transport.
const viaGrpcJs = process.argv.includes('--via-grpc-js');

/** `simple` computed on the calling thread: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1. */
const inlineBackend = {
  name: 'js',
  async loadModel(ctx) {
    const instance = {
      name: `${ctx.name}_inline`,
      async execute(batch) {
        for (const r of batch) {
          const [a, b] = r.inputs.map((t) => new Int32Array(t.data.slice().buffer));
          const sum = new Int32Array(a.length);
          const diff = new Int32Array(a.length);
          for (let i = 0; i < a.length; i++) {
            sum[i] = a[i] + b[i];
            diff[i] = a[i] - b[i];
          }
          const shape = r.inputs[0].shape;
          r.sender.send(
            {
              outputs: [
                { name: 'OUTPUT0', datatype: 'INT32', shape, data: new Uint8Array(sum.buffer) },
                { name: 'OUTPUT1', datatype: 'INT32', shape, data: new Uint8Array(diff.buffer) },
              ],
            },
            { final: true },
          );
        }
        return { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 };
      },
    };
    return { instances: [instance], unload: async () => {} };
  },
};

const settings = parseSettings(
  [
    ...['--model-repository', repository, '--allow-http', 'false', '--allow-metrics', 'false'],
    ...(viaGrpcJs
      ? ['--host', '127.0.0.1', '--grpc-port', String(Number(process.env.PORT ?? 0)), '--grpc-transport', 'grpc-js']
      : ['--allow-grpc', 'false']),
  ],
  {},
);
const running = await createServer(settings, {
  logger: pino({ level: 'warn' }),
  ...(inline ? { backends: [inlineBackend] } : {}),
});
if (viaGrpcJs) {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
  process.stdout.write(`${running.ports.grpc}\n`);
} else {
  serveHandWritten();
}

function serveHandWritten() {
  const root = loadProtoRoot();
  const Request = root.lookupType('inference.ModelInferRequest');
  const Response = root.lookupType('inference.ModelInferResponse');

  const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  server.on('stream', (stream) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', async () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        const request = decodeInferRequest(Request.decode(body.subarray(5)));
        const ctx = {
          signal: new CancelSource(),
          protocol: 'grpc',
          allowDecoupled: false,
          inputBuffersOwned: true,
        };
        let response;
        for await (const r of running.core.infer(request, ctx)) response = r;
        const pb = Response.encode(encodeInferResponse(response)).finish();
        const frame = Buffer.allocUnsafe(5 + pb.length);
        frame[0] = 0;
        frame.writeUInt32BE(pb.length, 1);
        frame.set(pb, 5);
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frame);
      } catch (e) {
        const message = encodeURIComponent(String(e?.message ?? e));
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '13', 'grpc-message': message },
          { endStream: true },
        );
      }
    });
  });
  // A clean exit on SIGINT/SIGTERM, so `node --cpu-prof` writes its profile.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
}
