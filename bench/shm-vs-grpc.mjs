#!/usr/bin/env node
// System shared memory against the same tensor in the gRPC message (issue #15): a 19 MB FP32
// tensor (4,750,000 values) through `identity_fp32`, one request at a time, on one tensorgate
// started with --allow-client-shm, by the same client (@grpc/grpc-js, requests encoded with our
// protos, responses decoded with protobufjs):
//   grpc       the tensor in raw_input_contents, the output back in raw_output_contents
//   shm        the client copies the tensor into its input region and the output out of its output
//              region (pwrite / pread on the /dev/shm object: Node has no mmap), the request and
//              response carry only the region parameters
//   shm-ready  the tensor is already in the region (a producer wrote it there) and the output is
//              left in its region: the request alone, the lower bound of a client that maps regions
// Rounds interleave the variants (order flipped every other round); medians of the rounds. Reports
// latency, requests/s, the ratios against grpc, and where the time goes: the client's copies, the
// server's time (ModelStatistics: queue + compute), the rest (transport, frontends, the server's
// reads and writes of the regions), and server and client CPU per request.
import { closeSync, openSync, readSync, rmSync, writeFileSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, main, parseCli, printCommand } from './lib/cli.mjs';
import { assertModelsReady, modelStats, statsDelta } from './lib/grpc-control.mjs';
import { rawGrpcClient } from './lib/raw-grpc.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { median, markdownTable, num } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';

const VARIANTS = ['grpc', 'shm', 'shm-ready'];
const MODEL = 'identity_fp32';

function client(port) {
  const c = rawGrpcClient(port, { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  return {
    infer: c.infer,
    register: (name, key, byteSize) =>
      c.call('SystemSharedMemoryRegister', { name, key, offset: 0, byte_size: byteSize }),
    unregisterAll: () => c.call('SystemSharedMemoryUnregister', {}),
    close: c.close,
  };
}

const shmParams = (region, size) => ({
  shared_memory_region: { string_param: region },
  shared_memory_byte_size: { int64_param: size },
});

main(async () => {
  const opts = parseCli(
    import.meta.url,
    'A 19 MB FP32 tensor through identity_fp32: system shared memory vs the tensor in the gRPC message, same client.',
    {
      values: { default: 4_750_000, help: 'FP32 values in the tensor (4,750,000 = 19,000,000 bytes)' },
      requests: { default: 10, help: 'requests per variant and round (one at a time)' },
      rounds: { default: 5, help: 'interleaved rounds (medians reported)' },
    },
  );
  printCommand();
  const n = opts.values;
  const bytes = n * 4;
  const tensor = Buffer.alloc(bytes);
  for (let i = 0; i < n; i++) tensor.writeFloatLE(Math.fround(i * 0.25 - 7), i * 4);
  const names = { in: `tensorgate-bench-in-${process.pid}`, out: `tensorgate-bench-out-${process.pid}` };
  for (const f of Object.values(names)) writeFileSync(join('/dev/shm', f), Buffer.alloc(bytes));
  const fdIn = openSync(join('/dev/shm', names.in), constants.O_RDWR);
  const fdOut = openSync(join('/dev/shm', names.out), constants.O_RDWR);
  writeSync(fdIn, tensor, 0, bytes, 0);

  const server = await startTensorgate(join(ROOT, 'examples/model_repository'), [
    '--model-control-mode',
    'explicit',
    '--load-model',
    MODEL,
    '--allow-client-shm',
  ]);
  const c = client(server.grpcPort);
  const phases = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const copies = [];
  try {
    await assertModelsReady(server.grpcPort, [MODEL]);
    await c.unregisterAll();
    await c.register('in', `/${names.in}`, bytes);
    await c.register('out', `/${names.out}`, bytes);
    const shape = [n];
    const grpcRequest = () => ({
      model_name: MODEL,
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape }],
      outputs: [{ name: 'OUTPUT0' }],
      raw_input_contents: [tensor],
    });
    const shmRequest = {
      model_name: MODEL,
      inputs: [{ name: 'INPUT0', datatype: 'FP32', shape, parameters: shmParams('in', bytes) }],
      outputs: [{ name: 'OUTPUT0', parameters: shmParams('out', bytes) }],
    };
    // One request; returns the output bytes and the client's copy times (ms).
    const run = {
      async grpc() {
        const res = await c.infer(grpcRequest());
        return { out: res.raw_output_contents[0], copyIn: 0, copyOut: 0 };
      },
      async shm() {
        const t0 = performance.now();
        writeSync(fdIn, tensor, 0, bytes, 0);
        const t1 = performance.now();
        const res = await c.infer(shmRequest);
        if (res.raw_output_contents[0].length !== 0) throw new Error('shm: output came in the message');
        const t2 = performance.now();
        const out = Buffer.allocUnsafe(bytes);
        if (readSync(fdOut, out, 0, bytes, 0) !== bytes) throw new Error('shm: short read');
        return { out, copyIn: t1 - t0, copyOut: performance.now() - t2 };
      },
      async 'shm-ready'() {
        await c.infer(shmRequest);
        return { out: undefined, copyIn: 0, copyOut: 0 };
      },
    };
    for (const v of VARIANTS) {
      const { out } = await run[v]();
      if (out !== undefined && Buffer.compare(Buffer.from(out.buffer, out.byteOffset, out.byteLength), tensor) !== 0) {
        throw new Error(`${v}: the output differs from the input`);
      }
    }
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        const before = await modelStats(server.grpcPort, MODEL);
        const serverCpu0 = threadCpuMs(server.pid);
        const clientCpu0 = process.cpuUsage();
        const lat = [];
        let copyIn = 0;
        let copyOut = 0;
        for (let i = 0; i < opts.requests; i++) {
          const t = performance.now();
          const res = await run[v]();
          lat.push(performance.now() - t);
          copyIn += res.copyIn;
          copyOut += res.copyOut;
        }
        const clientCpu = process.cpuUsage(clientCpu0);
        const serverCpu = cpuDelta(serverCpu0, threadCpuMs(server.pid));
        const st = statsDelta(before, await modelStats(server.grpcPort, MODEL));
        const k = opts.requests;
        phases[v].push({
          p50: median(lat),
          mean: lat.reduce((a, b) => a + b, 0) / k,
          copyIn: copyIn / k,
          copyOut: copyOut / k,
          serverMs: (st.queueUs + st.inputUs + st.inferUs + st.outputUs) / 1000,
          serverMainMs: serverCpu ? serverCpu.main / k : NaN,
          serverOtherMs: serverCpu ? serverCpu.other / k : NaN,
          clientCpuMs: (clientCpu.user + clientCpu.system) / 1000 / k,
        });
      }
    }
    // What the server's own copies cost on this machine: one pread of the input region into a
    // fresh buffer and one pwrite of the output (measured here, in this process, the same calls).
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const b = Buffer.allocUnsafe(bytes);
      readSync(fdIn, b, 0, bytes, 0);
      const t1 = performance.now();
      writeSync(fdOut, b, 0, bytes, 0);
      copies.push({ read: t1 - t0, write: performance.now() - t1 });
    }
  } finally {
    await c.unregisterAll().catch(() => undefined);
    c.close();
    await server.stop();
    closeSync(fdIn);
    closeSync(fdOut);
    for (const f of Object.values(names)) rmSync(join('/dev/shm', f), { force: true });
  }

  const med = (v, key) => median(phases[v].map((p) => p[key]));
  const base = med('grpc', 'mean');
  console.log(
    `\n${num(bytes / 1e6, 1)} MB FP32 through ${MODEL}, ${opts.requests} requests per variant per round, ${opts.rounds} rounds, 1 in flight\n`,
  );
  console.log(
    markdownTable(
      [
        'variant',
        'mean ms',
        'p50 ms',
        'req/s',
        'speed-up vs grpc',
        'client copy in / out ms',
        'server model ms',
        'rest ms',
        'server CPU ms (event loop / other)',
        'client CPU ms',
      ],
      VARIANTS.map((v) => {
        const mean = med(v, 'mean');
        const rest = mean - med(v, 'copyIn') - med(v, 'copyOut') - med(v, 'serverMs');
        return [
          v,
          num(mean, 2),
          num(med(v, 'p50'), 2),
          num(1000 / mean, 1),
          `${num(base / mean, 2)}x`,
          `${num(med(v, 'copyIn'), 2)} / ${num(med(v, 'copyOut'), 2)}`,
          num(med(v, 'serverMs'), 2),
          num(rest, 2),
          `${num(med(v, 'serverMainMs'), 2)} / ${num(med(v, 'serverOtherMs'), 2)}`,
          num(med(v, 'clientCpuMs'), 2),
        ];
      }),
    ),
  );
  console.log(
    `\none ${num(bytes / 1e6, 1)} MB pread into a new buffer / pwrite, in this process (median of 10): ` +
      `${num(median(copies.map((x) => x.read)), 2)} / ${num(median(copies.map((x) => x.write)), 2)} ms`,
  );
  console.log('\nmean ms per round:');
  for (const v of VARIANTS) console.log(`  ${v}: ${phases[v].map((p) => num(p.mean, 2)).join(', ')}`);
  const ratio = base / med('shm', 'mean');
  console.log(`\ntarget >= 2x (shm, client copies counted): ${ratio >= 2 ? 'met' : 'NOT met'} (${num(ratio, 2)}x)`);
});
