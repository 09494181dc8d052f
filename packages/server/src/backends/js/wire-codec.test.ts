import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { decodeBytesElements, encodeBytesElements, viewAs } from '@tensorgate/protocol';
import { PacketOutbox } from './message-batcher.js';
import { Op, readLog, readRequest, readResponse, writeLog, writeRequest, writeResponse } from './wire-codec.js';
import { PACK_THRESHOLD_BYTES, WirePacker, WireReader, type Packet } from './wire-packet.js';
import { encodeResponse } from './worker-request.js';
import type { WireResponse, WireTensor } from './worker-messages.js';

/** Posts a packet through a real MessagePort (structured clone + transfer), as the threads do. */
async function roundTrip(packet: Packet): Promise<Packet> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<Packet>((resolve) => port2.once('message', resolve));
  port1.postMessage(packet, packet.transfer);
  const out = await received;
  port1.close();
  return out;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Every value of a packet, in order. */
function valuesOf(packet: Packet): unknown[] {
  const r = new WireReader(packet);
  const out: unknown[] = [];
  while (!r.done) out.push(r.value());
  return out;
}

describe('wire packets', () => {
  test('requests round trip: several inputs, BYTES, empty and large tensors, parameters', async () => {
    const f64 = new Uint8Array(new Float64Array([1.5, -2, 3.25]).buffer);
    const large = new Uint8Array(PACK_THRESHOLD_BYTES + 3).map((_, i) => i % 251);
    const inputs: WireTensor[] = [
      { name: 'ODD', datatype: 'UINT8', shape: [3], data: bytes(7, 8, 9) },
      { name: 'F', datatype: 'FP64', shape: [3], data: f64 },
      { name: 'S', datatype: 'BYTES', shape: [2], data: encodeBytesElements(['hé', '']) },
      { name: 'E', datatype: 'FP32', shape: [0, 4], data: new Uint8Array(0) },
      { name: 'L', datatype: 'UINT8', shape: [large.length], data: large },
    ];
    const p = new WirePacker();
    p.value(Op.Execute);
    p.value(9);
    p.value(2);
    writeRequest(
      p,
      41,
      { id: 'req-1', inputs, requestedOutputs: ['A', 'B'], parameters: { k: 'v', n: 2.5, b: true }, batchSize: 3 },
      false,
    );
    writeRequest(p, 42, { id: '', inputs: [], requestedOutputs: [], parameters: {}, batchSize: 1 }, true);
    const packet = p.take();
    assert.ok(p.empty, 'take() leaves the packer empty');
    assert.equal(packet.buffers.length, 2, 'small tensors share one chunk, the large one has its own buffer');
    // The sender's arrays stay usable: small data was copied into the packet.
    assert.equal(inputs[0]!.data[0], 7);

    const r = new WireReader(await roundTrip(packet));
    assert.equal(r.number(), Op.Execute);
    assert.equal(r.number(), 9);
    assert.equal(r.number(), 2);
    const a = readRequest(r);
    const b = readRequest(r);
    assert.ok(r.done);
    assert.deepEqual(
      { ...a, inputs: a.inputs.map((t) => ({ ...t, data: [...t.data] })) },
      {
        key: 41,
        id: 'req-1',
        batchSize: 3,
        cancelled: false,
        requestedOutputs: ['A', 'B'],
        parameters: { k: 'v', n: 2.5, b: true },
        inputs: inputs.map((t) => ({ ...t, data: [...t.data] })),
      },
    );
    assert.deepEqual(b, {
      key: 42,
      id: '',
      batchSize: 1,
      cancelled: true,
      inputs: [],
      requestedOutputs: [],
      parameters: {},
    });
    // Views over the shared chunk are aligned, so typed views need no copy.
    const f = a.inputs[1]!;
    assert.equal(f.data.byteOffset % 8, 0);
    assert.deepEqual([...(viewAs('FP64', f.data) as Float64Array)], [1.5, -2, 3.25]);
    assert.equal(viewAs('FP64', f.data).buffer, f.data.buffer);
    assert.deepEqual(
      decodeBytesElements(a.inputs[2]!.data).map((e) => Buffer.from(e).toString()),
      ['hé', ''],
    );
    const l = a.inputs[4]!.data;
    assert.equal(l.byteOffset, 0);
    assert.equal(l.byteLength, l.buffer.byteLength, 'a large input owns its whole buffer');
  });

  test('responses round trip: outputs, errors, parameters, transferred and copied data', async () => {
    const n = PACK_THRESHOLD_BYTES / 4;
    const big = new Float32Array(n).fill(0.5);
    const small = new Int32Array([1, -2, 3]);
    const p = new WirePacker();
    // What the worker does: encode (small data copied into the packet at once), then write.
    const ok = encodeResponse(
      {
        outputs: [
          { name: 'B', datatype: 'FP32', shape: [n], data: big },
          { name: 'S', datatype: 'INT32', shape: [3], data: small },
          { name: 'T', datatype: 'BYTES', shape: [1], data: ['x'] },
        ],
        parameters: { seq: 4 },
      },
      new Map(),
      undefined,
      (b) => p.copy(b),
    );
    small[0] = 100; // the model reuses its array: the response keeps what was answered
    const failed: WireResponse = { error: 'bad window', code: 'INVALID_ARG' };
    p.value(Op.Executed);
    writeResponse(p, ok.response, ok.transfer);
    writeResponse(p, failed);
    writeLog(p, { level: 'warn', msg: 'hello', obj: { n: 1 } });
    writeLog(p, { level: 'info', msg: 'bare' });
    const packet = p.take();
    assert.ok(packet.buffers.includes(big.buffer as ArrayBuffer), 'the large output moves as it is');

    const r = new WireReader(await roundTrip(packet));
    assert.equal(r.number(), Op.Executed);
    const got = readResponse(r);
    assert.ok('outputs' in got);
    assert.deepEqual(got.parameters, { seq: 4 });
    const [b, s, t] = got.outputs;
    assert.equal(big.length, 0, 'transferred, not copied');
    assert.deepEqual(b!.shape, [n]);
    assert.equal(b!.data.byteLength, n * 4);
    assert.equal(new Float32Array(b!.data.buffer, b!.data.byteOffset, n)[7], 0.5);
    assert.deepEqual([...new Int32Array(s!.data.slice().buffer)], [1, -2, 3]);
    assert.deepEqual(
      decodeBytesElements(t!.data).map((e) => Buffer.from(e).toString()),
      ['x'],
    );
    assert.deepEqual(readResponse(r), failed);
    assert.equal(r.number(), Op.Log);
    assert.deepEqual(readLog(r), { level: 'warn', msg: 'hello', obj: { n: 1 } });
    assert.equal(r.number(), Op.Log);
    assert.deepEqual(readLog(r), { level: 'info', msg: 'bare' });
    assert.ok(r.done);
  });

  test('a response with no outputs and a decoupled response op', async () => {
    const p = new WirePacker();
    p.push(Op.Response, 5, false, 123, true);
    writeResponse(p, { outputs: [] });
    p.push(Op.Response, 5, true, 0, false);
    const r = new WireReader(await roundTrip(p.take()));
    assert.deepEqual(
      [r.number(), r.number(), r.boolean(), r.number(), r.boolean()],
      [Op.Response, 5, false, 123, true],
    );
    assert.deepEqual(readResponse(r), { outputs: [] });
    assert.deepEqual([r.number(), r.number(), r.boolean(), r.number(), r.boolean()], [Op.Response, 5, true, 0, false]);
    assert.ok(r.done);
  });

  test('many small tensors spill into further chunks without overlapping', async () => {
    const p = new WirePacker();
    const n = 300;
    for (let i = 0; i < n; i++) p.bytes(new Uint8Array(1000).fill(i % 256));
    const r = new WireReader(await roundTrip(p.take()));
    for (let i = 0; i < n; i++) {
      const d = r.bytes();
      assert.equal(d.byteLength, 1000);
      assert.ok(
        d.every((v) => v === i % 256),
        `tensor ${i} intact`,
      );
    }
    assert.ok(r.done);
  });

  test('encodeResponse refuses parameters that cannot cross threads', () => {
    const enc = encodeResponse({ outputs: [], parameters: { f: () => 1 } }, new Map(), undefined);
    assert.equal('error' in enc.response && enc.response.code, 'INTERNAL');
    const nested = encodeResponse({ outputs: [], parameters: { o: { a: 1 } } }, new Map(), undefined);
    assert.ok('outputs' in nested.response);
  });

  test('the outbox sends what one turn wrote as one packet, and flush() sends at once', async () => {
    const sent: Packet[] = [];
    const out = new PacketOutbox((packet) => sent.push(packet));
    out.open().push(Op.Cancel, 1);
    out.open().push(Op.Cancel, 2);
    assert.equal(sent.length, 0);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent.map(valuesOf), [[Op.Cancel, 1, Op.Cancel, 2]]);
    out.open().push(Op.Cancel, 3);
    out.flush();
    out.flush();
    assert.deepEqual(sent.map(valuesOf), [
      [Op.Cancel, 1, Op.Cancel, 2],
      [Op.Cancel, 3],
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sent.length, 2, 'nothing more after an explicit flush');
  });

  test('the outbox sends a packet as soon as it holds flushEveryOps complete operations', async () => {
    const sent: Packet[] = [];
    const out = new PacketOutbox((packet) => sent.push(packet), undefined, 2);
    for (const key of [1, 2, 3]) {
      out.open().push(Op.Cancel, key);
      out.endOp();
    }
    assert.deepEqual(sent.map(valuesOf), [[Op.Cancel, 1, Op.Cancel, 2]], 'the first two left at once');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      sent.map(valuesOf),
      [
        [Op.Cancel, 1, Op.Cancel, 2],
        [Op.Cancel, 3],
      ],
      'the third left at the end of the turn',
    );
    out.open().push(Op.Cancel, 4);
    out.endOp();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sent.length, 3, 'the count starts again after each flush');
  });
});
