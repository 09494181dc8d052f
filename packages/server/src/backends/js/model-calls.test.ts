/**
 * The main-thread side of BLS (model-calls.ts) against a stand-in core: what reaches the core, what
 * goes back to the worker, and every way a call is cancelled (model, parent request, timeout,
 * instance gone).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ModelCaller } from '../../backend-api/backend.js';
import { CancelSource, type CancelSignal } from '../../core/cancel-signal.js';
import { InferenceError } from '../../core/errors.js';
import { ManualClock } from '../../core/scheduling/manual-clock.test-helper.js';
import type { InferRequest, InferResponse, RequestContext } from '../../core/types.js';
import { PacketOutbox } from './message-batcher.js';
import { ModelCalls } from './model-calls.js';
import { Op, readCallResponse, type CallAnswer } from './wire-codec.js';
import { PACK_THRESHOLD_BYTES, WireReader, type Packet } from './wire-packet.js';
import type { WireCall } from './worker-messages.js';

interface Seen {
  request: InferRequest;
  ctx: RequestContext;
}

/** Waits until `signal` aborts, then throws its reason (as the core's run does). */
function untilAborted(signal: CancelSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason));
  });
}

/** A core stand-in: answers with `responses` (or throws `error`), or hangs until cancelled. */
function fakeCore(seen: Seen[], script: { responses?: InferResponse[]; error?: InferenceError } = {}): ModelCaller {
  return {
    infer(request, ctx) {
      seen.push({ request, ctx });
      return (async function* () {
        if (script.error) throw script.error;
        if (script.responses) {
          yield* script.responses;
          return;
        }
        await untilAborted(ctx.signal);
      })();
    },
  };
}

const call = (over: Partial<WireCall> = {}): WireCall => ({
  callId: 1,
  parentKey: 0,
  stream: false,
  model: 'simple',
  version: '',
  id: '',
  timeoutMs: 0,
  inputs: [],
  outputs: [],
  parameters: {},
  ...over,
});

function setup(caller: ModelCaller | undefined, parents = new Map<number, CancelSignal>(), defaultTimeoutMs = 0) {
  const clock = new ManualClock();
  const packets: Packet[] = [];
  const outbox = new PacketOutbox((p) => packets.push(p));
  const calls = new ModelCalls({
    caller,
    defaultTimeoutMs,
    clock,
    log: pino({ level: 'silent' }),
    parentSignal: (key) => parents.get(key),
  });
  /** The answers written to the worker so far. */
  const answers = (): CallAnswer[] => {
    outbox.flush();
    const out: CallAnswer[] = [];
    for (const p of packets.splice(0)) {
      const r = new WireReader(p);
      while (!r.done) {
        assert.equal(r.number(), Op.CallResponse);
        out.push(readCallResponse(r));
      }
    }
    return out;
  };
  return { clock, outbox, calls, answers };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ModelCalls', () => {
  test('a call reaches the core as an internal request and its response goes back to the worker', async () => {
    const seen: Seen[] = [];
    const response: InferResponse = {
      modelName: 'simple',
      modelVersion: '3',
      id: 'c1',
      outputs: [],
      parameters: { p: 1 },
      final: true,
    };
    const { calls, answers, outbox } = setup(fakeCore(seen, { responses: [response] }));
    const input = { name: 'INPUT0', datatype: 'INT32' as const, shape: [1], data: new Uint8Array(4) };
    calls.start(
      call({ version: '3', id: 'c1', inputs: [input], outputs: ['BIG', 'PART'], parameters: { priority: 1 } }),
      outbox,
    );
    await tick();
    assert.equal(seen.length, 1);
    const { request, ctx } = seen[0]!;
    assert.deepEqual(request, {
      modelName: 'simple',
      modelVersion: '3',
      id: 'c1',
      inputs: [input],
      outputs: [
        { name: 'BIG', parameters: {} },
        { name: 'PART', parameters: {} },
      ],
      parameters: { priority: 1 },
    });
    assert.equal(ctx.protocol, 'internal');
    assert.equal(ctx.allowDecoupled, false, 'infer() is unary: a decoupled callee is refused by the core');
    assert.equal(ctx.inputBuffersOwned, true);
    assert.deepEqual(answers(), [
      { callId: 1, final: true, version: '3', response: { outputs: [], parameters: { p: 1 } } },
    ]);
    assert.equal(calls.size, 0, 'the call is over');
  });

  test('answers: outputs (an owned whole buffer moves, a shared one is copied), then the call is over', async () => {
    const seen: Seen[] = [];
    const big = new Uint8Array(PACK_THRESHOLD_BYTES).fill(3);
    const backing = new Uint8Array(PACK_THRESHOLD_BYTES * 2).fill(4);
    const part = backing.subarray(0, PACK_THRESHOLD_BYTES);
    const { calls, answers, outbox } = setup(
      fakeCore(seen, {
        responses: [
          {
            modelName: 'm',
            modelVersion: '2',
            id: '',
            outputs: [
              { name: 'BIG', datatype: 'UINT8', shape: [big.length], data: big },
              { name: 'PART', datatype: 'UINT8', shape: [part.length], data: part },
            ],
            parameters: {},
            final: true,
            outputBuffersOwned: true,
          },
        ],
      }),
    );
    calls.start(call({ callId: 9 }), outbox);
    await tick();
    const got = answers();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.callId, 9);
    assert.equal(got[0]!.final, true);
    assert.equal(got[0]!.version, '2');
    const r = got[0]!.response!;
    assert.ok('outputs' in r);
    assert.equal(r.outputs[0]!.data.buffer, big.buffer, 'the owned whole buffer travels as it is');
    assert.notEqual(r.outputs[1]!.data.buffer, backing.buffer, 'a view of a larger buffer is copied');
    assert.equal(r.outputs[1]!.data[5], 4);
    assert.equal(calls.size, 0);
  });

  test('a response whose buffers are not owned is copied, even a whole large buffer', async () => {
    const big = new Uint8Array(PACK_THRESHOLD_BYTES).fill(1);
    const { calls, answers, outbox } = setup(
      fakeCore([], {
        responses: [
          {
            modelName: 'ens',
            modelVersion: '1',
            id: '',
            outputs: [{ name: 'X', datatype: 'UINT8', shape: [big.length], data: big }],
            parameters: {},
            final: true,
          },
        ],
      }),
    );
    calls.start(call(), outbox);
    await tick();
    const r = answers()[0]!.response!;
    assert.ok('outputs' in r);
    assert.notEqual(r.outputs[0]!.data.buffer, big.buffer);
  });

  test('a stream forwards every response, a non-final error and a bare final flag', async () => {
    const seen: Seen[] = [];
    const base = { modelName: 'rep', modelVersion: '1', id: '', parameters: {} };
    const out = { name: 'OUT', datatype: 'INT32' as const, shape: [1], data: new Uint8Array(4).fill(1) };
    const { calls, answers, outbox } = setup(
      fakeCore(seen, {
        responses: [
          { ...base, outputs: [out], final: false },
          { ...base, outputs: [], final: false, error: new InferenceError('INTERNAL', 'step two failed') },
          { ...base, outputs: [], final: true, emptyFinal: true },
        ],
      }),
    );
    calls.start(call({ stream: true }), outbox);
    await tick();
    assert.equal(seen[0]!.ctx.allowDecoupled, true);
    const got = answers();
    assert.deepEqual(
      got.map((a) => [
        a.final,
        a.response === undefined ? 'bare' : 'error' in a.response ? a.response.error : 'outputs',
      ]),
      [
        [false, 'outputs'],
        [false, 'step two failed'],
        [true, 'bare'],
      ],
    );
  });

  test('a failure of the core (unknown model, bad input) is a final error answer with its code', async () => {
    const { calls, answers, outbox } = setup(
      fakeCore([], { error: new InferenceError('NOT_FOUND', "Request for unknown model: 'nope' is not found") }),
    );
    calls.start(call({ model: 'nope' }), outbox);
    await tick();
    assert.deepEqual(answers(), [
      {
        callId: 1,
        final: true,
        version: '',
        response: { error: "Request for unknown model: 'nope' is not found", code: 'NOT_FOUND' },
      },
    ]);
  });

  test('without a core to call, calls answer UNAVAILABLE', () => {
    const { calls, answers, outbox } = setup(undefined);
    calls.start(call(), outbox);
    const got = answers();
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.response, {
      error: 'calls to other models are not available in this server',
      code: 'UNAVAILABLE',
    });
  });

  test('timeoutMs cancels the call in the core and answers DEADLINE_EXCEEDED', async () => {
    const seen: Seen[] = [];
    const { calls, answers, outbox, clock } = setup(fakeCore(seen));
    calls.start(call({ timeoutMs: 250 }), outbox);
    await tick();
    clock.advanceNs(249e6);
    assert.equal(seen[0]!.ctx.signal.aborted, false);
    clock.advanceNs(1e6);
    assert.equal(seen[0]!.ctx.signal.aborted, true, 'the callee sees the cancellation');
    await tick();
    const r = answers()[0]!.response!;
    assert.ok('error' in r);
    assert.equal(r.code, 'DEADLINE_EXCEEDED');
    assert.match(r.error, /the call to model 'simple' timed out after 250 ms/);
    assert.equal(calls.size, 0);
    assert.equal(clock.pendingTimers, 0);
  });

  test('a call without timeoutMs gets the default (the model execution_timeout_ms); 0 means none', async () => {
    const seen: Seen[] = [];
    const { calls, answers, outbox, clock } = setup(fakeCore(seen), new Map(), 1000);
    calls.start(call({ callId: 1, timeoutMs: -1 }), outbox);
    calls.start(call({ callId: 2, timeoutMs: 0 }), outbox);
    await tick();
    clock.advanceNs(1000e6);
    await tick();
    const got = answers();
    assert.equal(got.length, 1);
    assert.equal(got[0]!.callId, 1);
    const r = got[0]!.response!;
    assert.ok('error' in r);
    assert.match(r.error, /timed out after 1000 ms \(the calling model's execution_timeout_ms; set timeoutMs/);
    assert.equal(seen[1]!.ctx.signal.aborted, false, 'timeoutMs 0: no timeout');
    assert.equal(calls.size, 1);
  });

  test('the call is cancelled with the request it was made for', async () => {
    const seen: Seen[] = [];
    const parent = new CancelSource();
    const { calls, answers, outbox } = setup(fakeCore(seen), new Map([[5, parent]]));
    calls.start(call({ parentKey: 5 }), outbox);
    calls.start(call({ callId: 2, parentKey: 6 }), outbox); // a request no longer in flight: no parent
    await tick();
    parent.abort(new InferenceError('CANCELLED', 'request cancelled by the client'));
    assert.equal(seen[0]!.ctx.signal.aborted, true);
    assert.equal(seen[1]!.ctx.signal.aborted, false);
    await tick();
    const r = answers()[0]!.response!;
    assert.ok('error' in r);
    assert.equal(r.code, 'CANCELLED');
    assert.match(r.error, /was cancelled with its request/);
  });

  test('a call made for a request already cancelled is cancelled at once', async () => {
    const seen: Seen[] = [];
    const parent = new CancelSource();
    parent.abort(new InferenceError('CANCELLED', 'gone'));
    const { calls, outbox } = setup(fakeCore(seen), new Map([[5, parent]]));
    calls.start(call({ parentKey: 5 }), outbox);
    await tick();
    assert.equal(seen[0]!.ctx.signal.aborted, true);
  });

  test('the model giving a call up cancels it in the core, with no answer', async () => {
    const seen: Seen[] = [];
    const { calls, answers, outbox } = setup(fakeCore(seen));
    calls.start(call(), outbox);
    await tick();
    calls.cancel(1);
    calls.cancel(77); // unknown: ignored
    assert.equal(seen[0]!.ctx.signal.aborted, true);
    await tick();
    assert.deepEqual(answers(), []);
    assert.equal(calls.size, 0);
  });

  test('cancelAll (the worker is gone) cancels every call, answers nothing and stops the timers', async () => {
    const seen: Seen[] = [];
    const { calls, answers, outbox, clock } = setup(fakeCore(seen), new Map(), 5000);
    for (let id = 1; id <= 3; id++) calls.start(call({ callId: id, timeoutMs: -1 }), outbox);
    await tick();
    assert.equal(calls.size, 3);
    calls.cancelAll(new InferenceError('CANCELLED', 'model instance m_0 stopped: it crashed'));
    assert.equal(calls.size, 0);
    assert.ok(seen.every((s) => s.ctx.signal.aborted));
    assert.equal((seen[0]!.ctx.signal.reason as InferenceError).message, 'model instance m_0 stopped: it crashed');
    assert.equal(clock.pendingTimers, 0);
    await tick();
    assert.deepEqual(answers(), []);
  });
});
