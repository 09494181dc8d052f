import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../errors.js';
import type { Tensor } from '../../types.js';
import type { LoadedStateSpec } from './state-config.js';
import { SequenceStateStore } from './state-store.js';

const i32 = (...v: number[]): Uint8Array => new Uint8Array(new Int32Array(v).buffer);
const values = (t: Tensor): number[] => [...new Int32Array(t.data.slice().buffer)];

const SPEC: LoadedStateSpec = {
  inputName: 'IN_STATE',
  outputName: 'OUT_STATE',
  datatype: 'INT32',
  dims: [-1],
  initialShape: [1, 1],
  initialData: i32(0),
};

const out = (v: number[], shape = [1, v.length], name = 'OUT_STATE'): Tensor => ({
  name,
  datatype: 'INT32',
  shape,
  data: i32(...v),
});

function store(maxSequences = 4, maxBytesPerSequence?: number): SequenceStateStore {
  return new SequenceStateStore([SPEC], {
    model: 'acc',
    batching: true,
    maxSequences,
    ...(maxBytesPerSequence !== undefined ? { maxBytesPerSequence } : {}),
  });
}

function fails(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InferenceError && e.code === code && pattern.test(e.message));
}

describe('SequenceStateStore', () => {
  test('START feeds the initial state; each update becomes the next input', () => {
    const s = store();
    const first = s.feed(1n, true);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.name, 'IN_STATE');
    assert.deepEqual(first[0]!.shape, [1, 1]);
    assert.deepEqual(values(first[0]!), [0]);
    assert.equal(s.update(1n, [out([5]), out([99], [1, 1], 'OUTPUT')]), true);
    assert.deepEqual(values(s.feed(1n, false)[0]!), [5]);
    // A variable dim may change its size from one request to the next.
    s.update(1n, [out([5, 6, 7])]);
    const grown = s.feed(1n, false)[0]!;
    assert.deepEqual(grown.shape, [1, 3]);
    assert.deepEqual(values(grown), [5, 6, 7]);
    assert.equal(s.bytes, 12);
  });

  test('two sequences are kept apart; START resets; release frees', () => {
    const s = store();
    s.feed('a', true);
    s.feed('b', true);
    s.update('a', [out([10])]);
    s.update('b', [out([20])]);
    assert.deepEqual(values(s.feed('a', false)[0]!), [10]);
    assert.deepEqual(values(s.feed('b', false)[0]!), [20]);
    assert.deepEqual(values(s.feed('a', true)[0]!), [0]);
    assert.deepEqual(values(s.feed('b', false)[0]!), [20]);
    assert.equal(s.size, 2);
    assert.equal(s.release('a'), true);
    assert.equal(s.release('a'), false);
    assert.equal(s.has('a'), false);
    assert.equal(s.size, 1);
    assert.equal(s.bytes, 4);
    fails(
      () => s.feed('a', false),
      'INVALID_ARG',
      /sequence 'a' has no implicit state; its first request must have sequence_start set/,
    );
    // An update for a sequence released while it executed keeps nothing.
    assert.equal(s.update('a', [out([1])]), false);
    assert.equal(s.size, 1);
  });

  test('fed tensors are copies: a backend that takes or changes them cannot touch the store', () => {
    const s = store();
    const fed = s.feed(7, true)[0]!;
    fed.data.fill(0xff);
    assert.deepEqual(values(s.feed(7, false)[0]!), [0]);
    const o = out([3]);
    s.update(7, [o]);
    o.data.fill(0);
    assert.deepEqual(values(s.feed(7, false)[0]!), [3]);
    assert.deepEqual(values(s.feed(8, true)[0]!), [0]);
  });

  test('a missing or malformed state output fails and keeps the previous state', () => {
    const s = store();
    s.feed(1, true);
    s.update(1, [out([4])]);
    fails(
      () => s.update(1, [out([1], [1, 1], 'OTHER')]),
      'INTERNAL',
      /state output 'OUT_STATE' .*: the model did not return it/,
    );
    fails(
      () => s.update(1, [{ ...out([1]), datatype: 'FP32' }]),
      'INTERNAL',
      /datatype FP32 does not match the state's INT32/,
    );
    fails(() => s.update(1, [out([1], [1])]), 'INTERNAL', /shape \[1\] does not match the state dims \[1,-1\]/);
    fails(() => s.update(1, [out([1, 2], [2, 1])]), 'INTERNAL', /batch dimension of 1/);
    fails(() => s.update(1, [out([1, 2], [1, 3])]), 'INTERNAL', /needs 12 bytes but the data has 8/);
    assert.deepEqual(values(s.feed(1, false)[0]!), [4]);
  });

  test('memory is bounded: sequences and bytes per sequence', () => {
    const s = store(2, 16);
    s.feed('a', true);
    s.feed('b', true);
    fails(() => s.feed('c', true), 'RESOURCE_EXHAUSTED', /2 sequences already hold implicit state/);
    // Restarting a sequence that holds state is not a new one.
    s.feed('a', true);
    fails(
      () => s.update('a', [out([1, 2, 3, 4, 5])]),
      'RESOURCE_EXHAUSTED',
      /would take 20 bytes, more than the 16 allowed/,
    );
    assert.deepEqual(values(s.feed('a', false)[0]!), [0]);
    s.release('b');
    s.feed('c', true);
    assert.throws(
      () =>
        new SequenceStateStore([{ ...SPEC, initialData: new Uint8Array(32), initialShape: [1, 8] }], {
          model: 'm',
          batching: true,
          maxSequences: 1,
          maxBytesPerSequence: 16,
        }),
      /initial states of one sequence take 32 bytes, more than the 16 allowed/,
    );
  });

  test('BYTES states and null inputs for empty slots', () => {
    const spec: LoadedStateSpec = {
      ...SPEC,
      datatype: 'BYTES',
      dims: [2],
      initialShape: [1, 2],
      initialData: new Uint8Array(8),
    };
    const s = new SequenceStateStore([spec], { model: 'm', batching: true, maxSequences: 1 });
    s.feed('x', true);
    const hi = new Uint8Array([2, 0, 0, 0, 104, 105, 0, 0, 0, 0]);
    s.update('x', [{ name: 'OUT_STATE', datatype: 'BYTES', shape: [1, 2], data: hi }]);
    assert.deepEqual([...s.feed('x', false)[0]!.data], [...hi]);
    fails(
      () => s.update('x', [{ name: 'OUT_STATE', datatype: 'BYTES', shape: [1, 2], data: hi.subarray(0, 6) }]),
      'INTERNAL',
      /OUT_STATE/,
    );
    const nul = s.nullInputs()[0]!;
    assert.deepEqual(nul.shape, [1, 2]);
    assert.deepEqual([...nul.data], new Array(8).fill(0));
    assert.deepEqual(s.outputNames, ['OUT_STATE']);
  });
});
