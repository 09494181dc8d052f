/**
 * The BLS ops of the worker packets (Call, CallCancel, CallResponse): round trips through a real
 * MessagePort, and properties over random tensors, parameters and names.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { encodeBytesElements, type DataType } from '@tensorgate/protocol';
import { propertyOptions } from '../../core/property-runs.test-helper.js';
import { Op, readCall, readCallResponse, writeCall, writeCallResponse, type CallAnswer } from './wire-codec.js';
import { PACK_THRESHOLD_BYTES, WirePacker, WireReader, type Packet } from './wire-packet.js';
import type { WireCall, WireTensor } from './worker-messages.js';

/** Posts a packet through a real MessagePort (structured clone + transfer), as the threads do. */
async function roundTrip(packet: Packet): Promise<Packet> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<Packet>((resolve) => port2.once('message', resolve));
  port1.postMessage(packet, packet.transfer);
  const out = await received;
  port1.close();
  port2.close();
  return out;
}

/** A tensor with its bytes as a plain array, for deep comparison. */
const plain = (t: WireTensor): unknown => ({
  name: t.name,
  datatype: t.datatype,
  shape: [...t.shape],
  data: [...t.data],
});

/**
 * `o` with plain objects only: fast-check builds records and dictionaries without a prototype,
 * structured clone gives them Object's.
 */
function plainObjects(o: unknown): unknown {
  if (o instanceof Uint8Array || o === null || typeof o !== 'object') return o;
  if (Array.isArray(o)) return o.map(plainObjects);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, plainObjects(v)]));
}

const call = (over: Partial<WireCall> = {}): WireCall => ({
  callId: 3,
  parentKey: 17,
  stream: false,
  model: 'simple',
  version: '',
  id: 'r1',
  timeoutMs: -1,
  inputs: [],
  outputs: [],
  parameters: {},
  ...over,
});

describe('BLS wire ops', () => {
  test('Call round trip: inputs small, large, BYTES and empty; outputs; parameters; a moved buffer', async () => {
    const large = new Uint8Array(PACK_THRESHOLD_BYTES + 5).map((_, i) => i % 253);
    const moved = new Uint8Array(PACK_THRESHOLD_BYTES).fill(7);
    const inputs: WireTensor[] = [
      { name: 'A', datatype: 'INT32', shape: [1, 2], data: new Uint8Array(new Int32Array([5, -6]).buffer) },
      { name: 'S', datatype: 'BYTES', shape: [2], data: encodeBytesElements(['héllo', '']) },
      { name: 'L', datatype: 'UINT8', shape: [large.length], data: large },
      { name: 'M', datatype: 'UINT8', shape: [moved.length], data: moved },
      { name: 'E', datatype: 'FP32', shape: [0], data: new Uint8Array(0) },
    ];
    const sent = call({
      stream: true,
      version: '2',
      timeoutMs: 250,
      inputs,
      outputs: ['OUT0', 'OUT1'],
      parameters: { priority: 2, flag: true, s: 'x' },
    });
    const p = new WirePacker();
    writeCall(p, sent, [moved.buffer]);
    p.value(Op.CallCancel);
    p.value(3);
    const packet = p.take();
    assert.equal(large[3], 3, 'a large input that is not handed over is copied: the model keeps its array');
    assert.equal(moved.byteLength, moved.length);
    const r = new WireReader(await roundTrip(packet));
    assert.equal(moved.byteLength, 0, 'the handed-over buffer moved');
    assert.equal(r.number(), Op.Call);
    const got = readCall(r);
    assert.equal(r.number(), Op.CallCancel);
    assert.equal(r.number(), 3);
    assert.ok(r.done);
    assert.deepEqual(
      { ...got, inputs: got.inputs.map(plain) },
      {
        ...sent,
        inputs: [
          ...inputs.slice(0, 3).map(plain),
          {
            name: 'M',
            datatype: 'UINT8',
            shape: [PACK_THRESHOLD_BYTES],
            data: [...new Uint8Array(PACK_THRESHOLD_BYTES).fill(7)],
          },
          plain(inputs[4]!),
        ],
      },
    );
    const l = got.inputs[2]!.data;
    assert.equal(
      l.byteLength,
      l.buffer.byteLength,
      'a large input arrives in a buffer of its own (the callee may move it)',
    );
  });

  test('CallResponse round trip: outputs with a moved buffer, an error, a bare final flag', async () => {
    const big = new Uint8Array(PACK_THRESHOLD_BYTES * 2).fill(9);
    const small = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const answers: CallAnswer[] = [
      {
        callId: 4,
        final: false,
        version: '1',
        response: {
          outputs: [
            { name: 'BIG', datatype: 'UINT8', shape: [big.length], data: big },
            { name: 'F', datatype: 'FP32', shape: [2], data: small },
          ],
          parameters: { n: 1 },
        },
      },
      { callId: 4, final: false, version: '1', response: { error: 'step failed', code: 'INTERNAL' } },
      { callId: 4, final: true, version: '1', response: undefined },
      { callId: 5, final: true, version: '', response: { error: "unknown model: 'nope'", code: 'NOT_FOUND' } },
    ];
    const p = new WirePacker();
    writeCallResponse(p, answers[0]!, [big.buffer]);
    for (const a of answers.slice(1)) writeCallResponse(p, a);
    const r = new WireReader(await roundTrip(p.take()));
    assert.equal(big.byteLength, 0, 'a callee output that owns its buffer moves to the worker');
    const got: CallAnswer[] = [];
    while (!r.done) {
      assert.equal(r.number(), Op.CallResponse);
      got.push(readCallResponse(r));
    }
    const first = got[0]!.response!;
    assert.ok('outputs' in first);
    assert.equal(first.outputs[0]!.data.byteLength, PACK_THRESHOLD_BYTES * 2);
    assert.equal(first.outputs[0]!.data[100], 9);
    assert.deepEqual([...new Float32Array(first.outputs[1]!.data.slice().buffer)], [1.5, -2]);
    assert.deepEqual(first.parameters, { n: 1 });
    assert.deepEqual(got.slice(1), answers.slice(1));
  });

  const datatypes: DataType[] = ['INT8', 'UINT8', 'INT32', 'FP32', 'FP64', 'INT64', 'BOOL', 'FP16', 'BYTES'];
  const tensor = fc.record({
    name: fc.string({ maxLength: 80 }),
    datatype: fc.constantFrom(...datatypes),
    shape: fc.array(fc.nat(1_000_000), { maxLength: 5 }),
    data: fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: PACK_THRESHOLD_BYTES - 2, max: PACK_THRESHOLD_BYTES + 9 })
          .map((n) => new Uint8Array(n).fill(n % 256)),
      },
    ),
  });
  const parameters = fc.dictionary(
    fc.string({ maxLength: 20 }),
    fc.oneof(fc.string({ maxLength: 40 }), fc.double({ noNaN: true }), fc.integer(), fc.boolean()),
    { maxKeys: 6 },
  );

  test('property: any call survives the trip unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          callId: fc.nat(),
          parentKey: fc.nat(),
          stream: fc.boolean(),
          model: fc.string({ maxLength: 100 }),
          version: fc.oneof(fc.constant(''), fc.nat().map(String)),
          id: fc.string({ maxLength: 100 }),
          timeoutMs: fc.integer({ min: -1, max: 86_400_000 }),
          inputs: fc.array(tensor, { maxLength: 6 }),
          outputs: fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }),
          parameters,
        }),
        fc.nat(3),
        async (sent: WireCall, calls) => {
          const p = new WirePacker();
          // Several calls in one packet, as a model that starts calls in a loop makes them.
          for (let i = 0; i <= calls; i++) writeCall(p, { ...sent, callId: sent.callId + i });
          const r = new WireReader(await roundTrip(p.take()));
          for (let i = 0; i <= calls; i++) {
            assert.equal(r.number(), Op.Call);
            const got = readCall(r);
            assert.deepEqual(
              plainObjects({ ...got, inputs: got.inputs.map(plain) }),
              plainObjects({ ...sent, callId: sent.callId + i, inputs: sent.inputs.map(plain) }),
            );
          }
          assert.ok(r.done);
        },
      ),
      propertyOptions(60),
    );
  });

  test('property: any answer (outputs, error or bare final) survives the trip unchanged', async () => {
    const answer = fc.record({
      callId: fc.nat(),
      final: fc.boolean(),
      version: fc.oneof(fc.constant(''), fc.nat().map(String)),
      response: fc.oneof(
        fc.constant(undefined),
        fc.record({
          error: fc.string({ maxLength: 200 }),
          code: fc.constantFrom('INTERNAL', 'NOT_FOUND', 'CANCELLED'),
        }),
        fc.record({ outputs: fc.array(tensor, { maxLength: 5 }), parameters }),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 4 }), async (sent) => {
        const p = new WirePacker();
        for (const a of sent) writeCallResponse(p, a as CallAnswer);
        const r = new WireReader(await roundTrip(p.take()));
        for (const a of sent) {
          assert.equal(r.number(), Op.CallResponse);
          const got = readCallResponse(r);
          const norm = (x: CallAnswer): unknown =>
            x.response && 'outputs' in x.response
              ? {
                  ...x,
                  response: {
                    outputs: x.response.outputs.map(plain),
                    // An empty parameter map travels as nothing (the cheapest value).
                    ...(Object.keys(x.response.parameters ?? {}).length > 0
                      ? { parameters: x.response.parameters }
                      : {}),
                  },
                }
              : x;
          assert.deepEqual(plainObjects(norm(got)), plainObjects(norm(a as CallAnswer)));
        }
        assert.ok(r.done);
      }),
      propertyOptions(60),
    );
  });
});
