/**
 * The worker side of BLS (worker-calls.ts), on the main thread with a packet in place of the
 * worker's outbox: what a model's options become on the wire, how answers resolve calls and feed
 * streams, and how a model gives a call up.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements } from '@tensorgate/protocol';
import type { JsInferResponse } from './model-api.js';
import { createInputTensor } from './tensor-views.js';
import { Op, readCall, type CallAnswer } from './wire-codec.js';
import { PACK_THRESHOLD_BYTES, WirePacker, WireReader } from './wire-packet.js';
import { MAX_CALLS_IN_FLIGHT, ModelCallClient } from './worker-calls.js';
import type { WireCall } from './worker-messages.js';

function setup() {
  let packer = new WirePacker();
  let answers = 0;
  const client = new ModelCallClient({ open: () => packer, endOp: () => {} }, () => answers++);
  /** The ops written since the last look: calls and cancelled call ids. */
  const ops = (): { calls: WireCall[]; cancels: number[]; transfer: ArrayBuffer[] } => {
    const packet = packer.take();
    packer = new WirePacker();
    const r = new WireReader(packet);
    const calls: WireCall[] = [];
    const cancels: number[] = [];
    while (!r.done) {
      const op = r.number();
      if (op === Op.Call) calls.push(readCall(r));
      else if (op === Op.CallCancel) cancels.push(r.number());
      else assert.fail(`unexpected op ${op}`);
    }
    return { calls, cancels, transfer: packet.transfer };
  };
  return { client, ops, answered: () => answers };
}

const int32 = (values: number[]): Uint8Array => new Uint8Array(new Int32Array(values).buffer);

describe('ModelCallClient', () => {
  test('infer() writes a Call op: pass-through input, typed arrays, arrays, strings; defaults', () => {
    const { client, ops } = setup();
    const models = client.caller(12);
    const passed = createInputTensor({ name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: int32([4, 5]) });
    void models.infer({
      model: 'simple',
      version: 2,
      id: 'x',
      inputs: [
        passed,
        { ...passed, name: 'INPUT1' },
        { name: 'F', datatype: 'FP32', shape: [2], data: new Float32Array([0.5, 1.5]) },
        { name: 'N', datatype: 'INT64', data: [1, 2, 3] },
        { name: 'S', datatype: 'BYTES', data: ['a', 'bc'] },
        { name: 'B', datatype: 'BOOL', data: [true, false] },
      ],
      outputs: ['OUTPUT0'],
      parameters: { priority: 1 },
      timeoutMs: 300,
    });
    void models.stream({ model: 'rep', inputs: [] });
    const { calls } = ops();
    assert.equal(calls.length, 2);
    const [c, s] = calls;
    assert.deepEqual(
      { ...c!, inputs: c!.inputs.map((t) => ({ ...t, data: [...t.data] })) },
      {
        callId: 1,
        parentKey: 12,
        stream: false,
        model: 'simple',
        version: '2',
        id: 'x',
        timeoutMs: 300,
        outputs: ['OUTPUT0'],
        parameters: { priority: 1 },
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: [...int32([4, 5])] },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 2], data: [...int32([4, 5])] },
          { name: 'F', datatype: 'FP32', shape: [2], data: [...new Uint8Array(new Float32Array([0.5, 1.5]).buffer)] },
          {
            name: 'N',
            datatype: 'INT64',
            shape: [3],
            data: [...new Uint8Array(new BigInt64Array([1n, 2n, 3n]).buffer)],
          },
          { name: 'S', datatype: 'BYTES', shape: [2], data: [...encodeBytesElements(['a', 'bc'])] },
          { name: 'B', datatype: 'BOOL', shape: [2], data: [1, 0] },
        ],
      },
    );
    assert.deepEqual(
      { ...s!, inputs: [] },
      {
        callId: 2,
        parentKey: 12,
        stream: true,
        model: 'rep',
        version: '',
        id: '',
        timeoutMs: -1,
        inputs: [],
        outputs: [],
        parameters: {},
      },
    );
  });

  test("the model's own large arrays are copied (they stay usable); a large converted array moves", () => {
    const { client, ops } = setup();
    const own = new Float32Array(PACK_THRESHOLD_BYTES / 4).fill(2);
    const plain = new Array<number>(PACK_THRESHOLD_BYTES / 4).fill(3);
    void client.caller(0).infer({
      model: 'm',
      inputs: [
        { name: 'OWN', datatype: 'FP32', data: own },
        { name: 'PLAIN', datatype: 'FP32', data: plain },
      ],
    });
    const { calls, transfer } = ops();
    assert.equal(own.length, PACK_THRESHOLD_BYTES / 4, 'not detached');
    assert.equal(own[9], 2);
    assert.ok(transfer.includes(calls[0]!.inputs[1]!.data.buffer as ArrayBuffer), 'the converted array moved');
    assert.equal(new Float32Array(calls[0]!.inputs[1]!.data.slice().buffer)[7], 3);
  });

  test('an answer resolves infer() with views of the outputs; an error answer is a value', async () => {
    const { client, ops, answered } = setup();
    const models = client.caller(0);
    const ok = models.infer({ model: 'simple', id: 'a', inputs: [] });
    const bad = models.infer({ model: 'nope', inputs: [] });
    ops();
    const answer = (a: CallAnswer): void => client.onAnswer(a);
    answer({
      callId: 1,
      final: true,
      version: '1',
      response: {
        outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [2], data: int32([7, 8]) }],
        parameters: { q: 'r' },
      },
    });
    answer({ callId: 2, final: true, version: '', response: { error: "unknown model 'nope'", code: 'NOT_FOUND' } });
    answer({ callId: 99, final: true, version: '', response: undefined }); // unknown call: dropped
    assert.equal(answered(), 3, 'every answer counts as progress');
    const r = await ok;
    assert.equal(r.error, undefined);
    assert.equal(r.model, 'simple');
    assert.equal(r.version, '1');
    assert.equal(r.id, 'a');
    assert.equal(r.final, true);
    assert.deepEqual(r.parameters, { q: 'r' });
    assert.deepEqual([...(r.output('OUTPUT0').data as Int32Array)], [7, 8]);
    assert.equal(r.findOutput('OUTPUT1'), undefined);
    assert.throws(() => r.output('OUTPUT1'), /the response of model 'simple' has no output 'OUTPUT1'$/);
    const e = await bad;
    assert.ok(e.error instanceof Error);
    assert.equal(e.error.code, 'NOT_FOUND');
    assert.equal(e.error.message, "unknown model 'nope'");
    assert.equal(e.outputs.length, 0);
    assert.throws(() => e.output('X'), /has no output 'X': the call failed: unknown model 'nope'/);
    assert.equal(client.size, 0);
  });

  test('stream() yields every response (errors too) and ends after the final one', async () => {
    const { client, ops } = setup();
    const it = client.caller(0).stream({ model: 'rep', inputs: [] });
    ops();
    const out = (n: number) => ({
      outputs: [{ name: 'OUT', datatype: 'INT32' as const, shape: [1], data: int32([n]) }],
    });
    client.onAnswer({ callId: 1, final: false, version: '1', response: out(1) });
    const got: JsInferResponse[] = [];
    const done = (async () => {
      for await (const r of it) got.push(r);
    })();
    await new Promise((r) => setImmediate(r));
    client.onAnswer({ callId: 1, final: false, version: '1', response: { error: 'step failed', code: 'INTERNAL' } });
    client.onAnswer({ callId: 1, final: false, version: '1', response: out(2) });
    client.onAnswer({ callId: 1, final: true, version: '1', response: undefined });
    await done;
    assert.deepEqual(
      got.map((r) => (r.error ? `error: ${r.error.message}` : (r.output('OUT').data as Int32Array)[0])),
      [1, 'error: step failed', 2],
    );
    assert.equal(client.size, 0);
  });

  test('leaving a stream early, or aborting its signal, cancels the call', async () => {
    const { client, ops } = setup();
    const it = client.caller(0).stream({ model: 'rep', inputs: [] });
    const controller = new AbortController();
    const unary = client.caller(0).infer({ model: 'slow', inputs: [], signal: controller.signal });
    ops();
    client.onAnswer({ callId: 1, final: false, version: '1', response: { outputs: [] } });
    for await (const r of it) {
      assert.equal(r.error, undefined);
      break;
    }
    controller.abort();
    const r = await unary;
    assert.equal(r.error?.code, 'CANCELLED');
    assert.match(r.error!.message, /the call to model 'slow' was cancelled by the model/);
    assert.deepEqual(ops().cancels, [1, 2]);
    client.onAnswer({ callId: 1, final: true, version: '1', response: undefined }); // late: dropped
    assert.equal(client.size, 0);
    // A signal aborted before the call: nothing is sent at all.
    const early = await client.caller(0).infer({ model: 'm', inputs: [], signal: AbortSignal.abort() });
    assert.equal(early.error?.code, 'CANCELLED');
    assert.deepEqual(ops().calls, []);
  });

  test('malformed options reject with a TypeError naming the problem (a bug in the model)', async () => {
    const { client, ops } = setup();
    const models = client.caller(0);
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /needs an options object/],
      [{ inputs: [] }, /model must be a model name/],
      [{ model: 'm', inputs: [], version: 1.5 }, /version must be a positive whole number/],
      [{ model: 'm', inputs: {} }, /inputs must be an array/],
      [{ model: 'm', inputs: [{ name: 'X', datatype: 'FLOAT', data: [1] }] }, /input 'X': datatype must be/],
      [{ model: 'm', inputs: [{ name: 'X', datatype: 'INT8', data: [1000] }] }, /input 'X': /],
      [{ model: 'm', inputs: [{ name: 'X', datatype: 'INT8' }] }, /input 'X': give data/],
      [{ model: 'm', inputs: [{ name: 'X', datatype: 'INT8', data: [1], shape: [-1] }] }, /input 'X': shape/],
      [{ model: 'm', inputs: [], timeoutMs: -5 }, /timeoutMs must be a whole number from 0 to 86400000/],
      [{ model: 'm', inputs: [], outputs: [1] }, /outputs must be an array of output names/],
      [{ model: 'm', inputs: [], parameters: { a: {} } }, /parameter 'a' must be a string, number or boolean/],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(
        models.infer(options as never),
        (e: Error) => e instanceof TypeError && message.test(e.message),
      );
    }
    assert.throws(() => models.stream({ model: '', inputs: [] }), TypeError);
    assert.deepEqual(ops().calls, [], 'nothing was sent');
  });

  test(`past ${MAX_CALLS_IN_FLIGHT} calls in flight, more answer RESOURCE_EXHAUSTED at once`, async () => {
    const { client, ops } = setup();
    const models = client.caller(0);
    for (let i = 0; i < MAX_CALLS_IN_FLIGHT; i++) void models.infer({ model: 'm', inputs: [] });
    const over = await models.infer({ model: 'm', inputs: [] });
    assert.equal(over.error?.code, 'RESOURCE_EXHAUSTED');
    assert.equal(ops().calls.length, MAX_CALLS_IN_FLIGHT);
    client.onAnswer({ callId: 1, final: true, version: '1', response: { outputs: [] } });
    void models.infer({ model: 'm', inputs: [] });
    assert.equal(ops().calls.length, 1, 'room again once one ended');
  });
});
