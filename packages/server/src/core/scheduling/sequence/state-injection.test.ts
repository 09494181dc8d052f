import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendResponse, ExecutionRequest } from '../../../backend-api/backend.js';
import { CancelSource } from '../../cancel-signal.js';
import { InferenceError } from '../../errors.js';
import type { Tensor } from '../../types.js';
import type { LoadedStateSpec } from './state-config.js';
import { withImplicitState } from './state-injection.js';
import { SequenceStateStore } from './state-store.js';

const i32 = (...v: number[]): Uint8Array => new Uint8Array(new Int32Array(v).buffer);
const values = (t: Tensor): number[] => [...new Int32Array(t.data.slice().buffer)];
const tensor = (name: string, _type: 'INT32', shape: number[], v: number[]): Tensor => ({
  name,
  datatype: 'INT32',
  shape,
  data: i32(...v),
});

/** A request whose sender records the one final response. */
function makeRequest(
  inputs: Tensor[],
  requestedOutputs: string[],
): ExecutionRequest & { sender: { single: BackendResponse } } {
  const sender = {
    single: undefined as unknown as BackendResponse,
    send(r: BackendResponse | undefined) {
      if (r) this.single = r;
    },
  };
  return {
    id: '',
    inputs,
    requestedOutputs,
    parameters: {},
    batchSize: 1,
    sender,
    signal: new CancelSource(),
  };
}

const SPEC: LoadedStateSpec = {
  inputName: 'INPUT_STATE',
  outputName: 'OUTPUT_STATE',
  datatype: 'INT32',
  dims: [1],
  initialShape: [1, 1],
  initialData: i32(0),
};

/** What an accumulator model answers: OUTPUT = OUTPUT_STATE = INPUT + INPUT_STATE. */
function answer(req: ReturnType<typeof withImplicitState>, opts: { dropState?: boolean } = {}): void {
  const x = values(req.inputs.find((t) => t.name === 'INPUT')!)[0]!;
  const s = values(req.inputs.find((t) => t.name === 'INPUT_STATE')!)[0]!;
  const outputs = [{ name: 'OUTPUT', datatype: 'INT32' as const, shape: [1, 1], data: i32(x + s) }];
  if (!opts.dropState) outputs.push({ name: 'OUTPUT_STATE', datatype: 'INT32', shape: [1, 1], data: i32(x + s) });
  req.sender.send({ outputs }, { final: true });
}

describe('withImplicitState', () => {
  test('adds the state input and output; the answer updates the store; END frees it', () => {
    const store = new SequenceStateStore([SPEC], { model: 'acc', batching: true, maxSequences: 2 });
    const run = (x: number, start: boolean, end: boolean) => {
      const original = makeRequest([tensor('INPUT', 'INT32', [1, 1], [x])], ['OUTPUT']);
      const executed = withImplicitState(original, store, 9n, { start, end });
      assert.deepEqual(
        executed.inputs.map((t) => t.name),
        ['INPUT', 'INPUT_STATE'],
      );
      assert.deepEqual(executed.requestedOutputs, ['OUTPUT', 'OUTPUT_STATE']);
      answer(executed);
      return original.sender.single;
    };
    const first = run(5, true, false);
    assert.equal(first.error, undefined);
    run(6, false, false);
    const third = run(7, false, true);
    assert.deepEqual(values(third.outputs.find((t) => t.name === 'OUTPUT')!), [18]);
    assert.equal(store.has(9n), false);
    assert.equal(store.bytes, 0);
  });

  test('a response without the state output fails the request and keeps the state', () => {
    const store = new SequenceStateStore([SPEC], { model: 'acc', batching: true, maxSequences: 2 });
    const first = withImplicitState(makeRequest([tensor('INPUT', 'INT32', [1, 1], [3])], ['OUTPUT']), store, 's', {
      start: true,
      end: false,
    });
    answer(first);
    const original = makeRequest([tensor('INPUT', 'INT32', [1, 1], [4])], ['OUTPUT']);
    answer(withImplicitState(original, store, 's', { start: false, end: false }), { dropState: true });
    const r = original.sender.single;
    assert.equal(r.error?.code, 'INTERNAL');
    assert.match(r.error?.message ?? '', /state output 'OUTPUT_STATE' .*the model did not return it/);
    assert.deepEqual(values(store.feed('s', false)[0]!), [3]);
  });

  test('an error response keeps the state; on END it is freed all the same', () => {
    const store = new SequenceStateStore([SPEC], { model: 'acc', batching: true, maxSequences: 2 });
    answer(
      withImplicitState(makeRequest([tensor('INPUT', 'INT32', [1, 1], [3])], ['OUTPUT']), store, 1, {
        start: true,
        end: false,
      }),
    );
    const failing = withImplicitState(makeRequest([tensor('INPUT', 'INT32', [1, 1], [1])], ['OUTPUT']), store, 1, {
      start: false,
      end: true,
    });
    failing.sender.send({ outputs: [], error: new InferenceError('INTERNAL', 'model failed') }, { final: true });
    assert.equal(store.has(1), false);
  });
});
