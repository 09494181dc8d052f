#!/usr/bin/env node
// The js backend's packet crossing alone: CPU per `simple` request on the main thread and on the
// worker for one round trip (requests written into a packet, posted, read by a worker that writes
// the responses back into a packet, posted, read), with tensorgate's packet format against a
// baseline in the same run: the same values as a plain JS array that postMessage structured-clones
// (the format before wire-values.ts). No HTTP, no protobuf, no model: just the crossing.
// Usage: node bench/js-packet-cost.mjs [--packets 20000] [--per-packet 35] [--rounds 3]
import { Worker } from 'node:worker_threads';
import { parseCli, ROOT } from './lib/cli.mjs';
import { threadCpuMs } from './lib/thread-cpu.mjs';
import { median } from './lib/stats.mjs';

const args = parseCli(
  'js-packet-cost.mjs',
  "CPU per request of the js backend's packet crossing: tensorgate's packet format vs a structured-cloned array.",
  {
    packets: { default: 20000, type: 'number', help: 'round trips per round' },
    'per-packet': {
      default: 35,
      type: 'number',
      help: 'simple requests per packet (35 measured under h2load -c 4 -m 16)',
    },
    rounds: { default: 3, type: 'number', help: 'rounds, alternating the two formats' },
  },
);

const DIST = `${ROOT}packages/server/dist/backends/js/`;

// The baseline: the same writer/reader interface over a plain array of values, every tensor's
// bytes copied into one shared chunk. Only what the codec below calls.
const ARRAY_FORMAT = `
export class WirePacker {
  meta = []; buffers = []; chunk = undefined; used = 0;
  get empty() { return this.meta.length === 0; }
  value(v) { this.meta.push(v); }
  tensor(t) { this.meta.push(t.name, t.datatype, t.shape.length, ...t.shape); this.bytes(t.data); }
  bytes(data) {
    if (this.chunk === undefined || this.used + data.byteLength > this.chunk.byteLength) {
      this.chunk = new Uint8Array(Math.max(4096, data.byteLength)); this.buffers.push(this.chunk.buffer); this.used = 0;
    }
    const at = (this.used + 7) & ~7; this.chunk.set(data, at); this.used = at + data.byteLength;
    this.meta.push(this.buffers.length - 1, at, data.byteLength);
  }
  copied(data) { this.bytes(data); }
  take() { const p = { type: 'packet', meta: this.meta, buffers: this.buffers, transfer: this.buffers }; this.meta = []; this.buffers = []; this.chunk = undefined; return p; }
}
export class WireReader {
  pos = 0; constructor(p) { this.p = p; }
  get done() { return this.pos >= this.p.meta.length; }
  value() { return this.p.meta[this.pos++]; }
  number() { return this.p.meta[this.pos++]; }
  string() { return this.p.meta[this.pos++]; }
  boolean() { return this.p.meta[this.pos++]; }
  tensor() { const name = this.string(), datatype = this.string(), rank = this.number(); const shape = []; for (let i = 0; i < rank; i++) shape.push(this.number()); return { name, datatype, shape, data: this.bytes() }; }
  bytes() { const b = this.p.buffers[this.number()]; const o = this.number(); return new Uint8Array(b, o, this.number()); }
}`;
const ARRAY_URL = `data:text/javascript,${encodeURIComponent(ARRAY_FORMAT)}`;

// The worker: reads each Execute op's requests and answers every one with two INT32 [1,16] outputs,
// as the js backend's worker does (Executed op, then the response), through the same codec.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const wp = await import(workerData.format);
  const codec = await import(workerData.codec);
  const out = new wp.WirePacker();
  parentPort.on('message', (packet) => {
    const r = new wp.WireReader(packet);
    while (!r.done) {
      r.number();
      const execId = r.number();
      const n = r.number();
      for (let i = 0; i < n; i++) codec.readRequest(r);
      for (let i = 0; i < n; i++) {
        for (const v of [4, execId, 0, 0, 0, 0, null, 1]) out.value(v);
        const a = new Int32Array(16), b = new Int32Array(16);
        codec.writeResponse(out, { outputs: [
          { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: new Uint8Array(a.buffer) },
          { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: new Uint8Array(b.buffer) },
        ] });
      }
    }
    const p = out.take();
    parentPort.postMessage(p, p.transfer);
  });
  parentPort.postMessage('ready');
})();`;

const codecUrl = `${DIST}wire-codec.js`;
const INPUT = new Uint8Array(new Int32Array(16).map((_, i) => i).buffer);
const REQUEST = {
  id: '',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: INPUT },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: INPUT },
  ],
  requestedOutputs: [],
  parameters: {},
  batchSize: 1,
};

/** One round: `packets` round trips of `perPacket` requests, 4 packets in flight; CPU µs per request. */
async function round(formatUrl) {
  const wp = await import(formatUrl);
  const codec = await import(codecUrl);
  const worker = new Worker(WORKER, { eval: true, workerData: { format: formatUrl, codec: codecUrl } });
  await new Promise((resolve) => worker.once('message', resolve));
  const perPacket = args['per-packet'];
  const p = new wp.WirePacker();
  let sent = 0;
  let inFlight = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const send = () => {
    p.value(1);
    p.value(sent);
    p.value(perPacket);
    for (let i = 0; i < perPacket; i++) codec.writeRequest(p, i, REQUEST, false);
    const packet = p.take();
    worker.postMessage(packet, packet.transfer);
    sent++;
    inFlight++;
  };
  worker.on('message', (packet) => {
    inFlight--;
    const r = new wp.WireReader(packet);
    let responses = 0;
    while (!r.done) {
      for (let i = 0; i < 6; i++) r.number();
      r.value();
      r.number();
      const response = codec.readResponse(r);
      if (response.outputs?.length !== 2) throw new Error('a response came back without its two outputs');
      responses++;
    }
    if (responses !== perPacket) throw new Error(`${responses} responses in a packet of ${perPacket} requests`);
    if (sent < args.packets) send();
    else if (inFlight === 0) finish();
  });
  const before = threadCpuMs();
  for (let i = 0; i < 4; i++) send();
  await finished;
  const after = threadCpuMs();
  await worker.terminate();
  const requests = args.packets * perPacket;
  return {
    main: ((after.main - before.main) * 1000) / requests,
    other: ((after.other - before.other) * 1000) / requests,
  };
}

console.log(`node bench/js-packet-cost.mjs ${process.argv.slice(2).join(' ')}`.trim());
const results = { packet: [], array: [] };
for (let r = 0; r < args.rounds; r++) {
  const order = r % 2 === 0 ? ['packet', 'array'] : ['array', 'packet'];
  for (const kind of order) results[kind].push(await round(kind === 'packet' ? `${DIST}wire-packet.js` : ARRAY_URL));
}
const us = (rows, key) => median(rows.map((x) => x[key])).toFixed(2);
console.log(
  `\n${args.rounds} rounds of ${args.packets} round trips × ${args['per-packet']} requests (medians, µs of CPU per request):\n`,
);
console.log('| format | main thread | worker (+ V8 helpers) |');
console.log('|---|---|---|');
console.log(`| structured-cloned array (baseline) | ${us(results.array, 'main')} | ${us(results.array, 'other')} |`);
console.log(`| tensorgate packet (wire-values.ts) | ${us(results.packet, 'main')} | ${us(results.packet, 'other')} |`);
const ratio = (key) =>
  ((100 * median(results.packet.map((x) => x[key]))) / median(results.array.map((x) => x[key]))).toFixed(0);
console.log(`\npacket / array: main thread ${ratio('main')} %, worker ${ratio('other')} %`);
