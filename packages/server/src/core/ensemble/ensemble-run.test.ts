import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { validateComposition } from './ensemble-composition.js';
import { EnsemblePlan, reshapeForStep } from './ensemble-plan.js';
import { runEnsemble } from './ensemble-run.js';
import { ensembleSteps } from './ensemble-steps.js';
import { config, ensembleRequest, f32, f32Values, FakeModels, modelConfig, settle } from './ensemble.test-helper.js';
import type { ModelConfig } from '../config/model-config.js';

const V4 = 'data_type: TYPE_FP32 dims: [ 4 ]';

/** A composing model with one input X and one output Y of 4 floats (batching unless maxBatch 0). */
const unary = (name: string, maxBatch = 8, extra = ''): ModelConfig =>
  modelConfig(
    name,
    `max_batch_size: ${maxBatch}\ninput [ { name: "X" ${V4} } ]\noutput [ { name: "Y" ${V4} } ]`,
    extra,
  );

/** A model adding two inputs A and B into Y. */
const binary = (name: string): ModelConfig =>
  modelConfig(
    name,
    `max_batch_size: 8\ninput [ { name: "A" ${V4} }, { name: "B" ${V4} } ]\noutput [ { name: "Y" ${V4} } ]`,
  );

/** A plan for `text` (an ensemble config) over `models`, with decoupled derived as at load. */
function planOf(text: string, models: readonly ModelConfig[]): EnsemblePlan {
  const c = config(text);
  const byName = new Map(models.map((m) => [m.name, m]));
  const steps = ensembleSteps(c);
  c.model_transaction_policy.decoupled = validateComposition(c, steps, (n) => byName.get(n)).decoupled;
  return new EnsemblePlan(c, steps, (n) => byName.get(n));
}

const step = (model: string, input: Record<string, string>, output: Record<string, string>): string =>
  `{ model_name: "${model}" model_version: -1 ${Object.entries(input)
    .map(([k, v]) => `input_map { key: "${k}" value: "${v}" }`)
    .join(' ')} ${Object.entries(output)
    .map(([k, v]) => `output_map { key: "${k}" value: "${v}" }`)
    .join(' ')} }`;

const ensemble = (name: string, io: string, steps: string[], maxBatch = 8): string =>
  `name: "${name}"\nplatform: "ensemble"\nmax_batch_size: ${maxBatch}\n${io}\nensemble_scheduling { step [ ${steps.join(', ')} ] }`;

const IO1 = `input [ { name: "IN" ${V4} } ]\noutput [ { name: "OUT" ${V4} } ]`;

/** Answers X → Y = f(X) elementwise. */
const mapX =
  (f: (v: number) => number) =>
  (call: import('./ensemble.test-helper.js').StepCall): void => {
    const x = call.input('X');
    call.respond([f32('Y', x.shape, f32Values(x).map(f))]);
  };

describe('runEnsemble', () => {
  test('a linear pipeline hands each step the previous step output bytes as they are', async () => {
    const plan = planOf(
      ensemble('pipe', IO1, [step('a', { X: 'IN' }, { Y: 't' }), step('b', { X: 't' }, { Y: 'OUT' })]),
      [unary('a'), unary('b')],
    );
    const models = new FakeModels()
      .on(
        'a',
        mapX((v) => v + 1),
      )
      .on(
        'b',
        mapX((v) => v * 2),
      );
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    const timings = await runEnsemble(plan, request, models.infer);
    assert.deepEqual(
      models.calls.map((c) => [c.model, c.request.id, c.ctx.protocol]),
      [
        ['a', 'r1', 'internal'],
        ['b', 'r1', 'internal'],
      ],
    );
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.final, true);
    const out = sent[0]!.response!.outputs[0]!;
    assert.equal(out.name, 'OUT');
    assert.deepEqual(out.shape, [1, 4]);
    assert.deepEqual(f32Values(out), [4, 6, 8, 10]);
    assert.deepEqual(timings, { computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 });
    // The ensemble input reaches the first step as the same bytes.
    const a = models.callsTo('a')[0]!;
    assert.equal(a.input('X').data, request.inputs[0]!.data);
    assert.deepEqual(a.request.outputs, [{ name: 'Y', parameters: {} }]);
  });

  test('a step output reaches the next step as the same object bytes (no copy)', async () => {
    const plan = planOf(
      ensemble('pipe', IO1, [step('a', { X: 'IN' }, { Y: 't' }), step('b', { X: 't' }, { Y: 'OUT' })]),
      [unary('a'), unary('b')],
    );
    const produced = f32('Y', [1, 4], [9, 9, 9, 9]);
    const last = f32('Y', [1, 4], [7, 7, 7, 7]);
    const models = new FakeModels().on('a', (c) => c.respond([produced])).on('b', (c) => c.respond([last]));
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    await runEnsemble(plan, request, models.infer);
    assert.equal(models.callsTo('b')[0]!.input('X').data, produced.data);
    assert.equal(sent[0]!.response!.outputs[0]!.data, last.data);
  });

  test('a diamond runs both branches at once: each starts before the other finishes', async () => {
    const plan = planOf(
      ensemble('diamond', IO1, [
        step('split', { X: 'IN' }, { Y: 't' }),
        step('left', { X: 't' }, { Y: 'l' }),
        step('right', { X: 't' }, { Y: 'r' }),
        step('join', { A: 'l', B: 'r' }, { Y: 'OUT' }),
      ]),
      [unary('split'), unary('left'), unary('right'), binary('join')],
    );
    const models = new FakeModels().on(
      'split',
      mapX((v) => v),
    );
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    const done = runEnsemble(plan, request, models.infer);
    await models.waitForCalls(3);
    const [left, right] = [models.callsTo('left')[0]!, models.callsTo('right')[0]!];
    // Both branches are in flight together, neither answered yet.
    assert.equal(left.settled || right.settled, false);
    // Two readers of t: neither may take its buffer.
    assert.equal(left.ctx.inputBuffersOwned, false);
    assert.equal(right.ctx.inputBuffersOwned, false);
    right.respond([f32('Y', [1, 4], [10, 10, 10, 10])]);
    await settle();
    assert.equal(models.callsTo('join').length, 0, 'join waits for both branches');
    left.respond([f32('Y', [1, 4], [1, 1, 1, 1])]);
    await models.waitForCalls(4);
    const join = models.callsTo('join')[0]!;
    assert.deepEqual(f32Values(join.input('A')), [1, 1, 1, 1]);
    assert.deepEqual(f32Values(join.input('B')), [10, 10, 10, 10]);
    join.respond([f32('Y', [1, 4], [11, 11, 11, 11])]);
    await done;
    assert.deepEqual(f32Values(sent[0]!.response!.outputs[0]!), [11, 11, 11, 11]);
  });

  test('a step may take a buffer only as its last reader, when its model handed it over whole', async () => {
    const plan = planOf(
      ensemble('pipe', IO1, [step('a', { X: 'IN' }, { Y: 't' }), step('b', { X: 't' }, { Y: 'OUT' })]),
      [unary('a'), unary('b')],
    );
    const run = async (owned: boolean, whole: boolean, inputOwned: boolean): Promise<[boolean, boolean]> => {
      const models = new FakeModels()
        .on('a', (c) => {
          const buffer = new Float32Array(whole ? 4 : 8);
          const data = new Uint8Array(buffer.buffer, 0, 16);
          c.respond([{ name: 'Y', datatype: 'FP32', shape: [1, 4], data }], { outputBuffersOwned: owned });
        })
        .on(
          'b',
          mapX((v) => v),
        );
      const { request } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])], { owned: inputOwned });
      await runEnsemble(plan, request, models.infer);
      return [models.callsTo('a')[0]!.ctx.inputBuffersOwned!, models.callsTo('b')[0]!.ctx.inputBuffersOwned!];
    };
    assert.deepEqual(await run(true, true, true), [true, true]);
    assert.deepEqual(await run(false, true, false), [false, false]);
    assert.deepEqual(await run(true, false, false), [false, false]);
  });

  test('an ensemble output also read by a later step is never handed to that step', async () => {
    const plan = planOf(
      ensemble('tee', `input [ { name: "IN" ${V4} } ]\noutput [ { name: "MID" ${V4} }, { name: "OUT" ${V4} } ]`, [
        step('a', { X: 'IN' }, { Y: 'MID' }),
        step('b', { X: 'MID' }, { Y: 'OUT' }),
      ]),
      [unary('a'), unary('b')],
    );
    const models = new FakeModels()
      .on('a', (c) => c.respond([f32('Y', [1, 4], [1, 2, 3, 4])], { outputBuffersOwned: true }))
      .on(
        'b',
        mapX((v) => v),
      );
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [0, 0, 0, 0])]);
    await runEnsemble(plan, request, models.infer);
    assert.equal(models.callsTo('b')[0]!.ctx.inputBuffersOwned, false);
    assert.deepEqual(
      sent[0]!.response!.outputs.map((t) => t.name),
      ['MID', 'OUT'],
    );
  });

  test('only the steps the requested outputs need run', async () => {
    const plan = planOf(
      ensemble('two', `input [ { name: "IN" ${V4} } ]\noutput [ { name: "O1" ${V4} }, { name: "O2" ${V4} } ]`, [
        step('a', { X: 'IN' }, { Y: 'O1' }),
        step('b', { X: 'IN' }, { Y: 'O2' }),
      ]),
      [unary('a'), unary('b')],
    );
    const models = new FakeModels()
      .on(
        'a',
        mapX((v) => v),
      )
      .on(
        'b',
        mapX((v) => v),
      );
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])], { requested: ['O2'] });
    await runEnsemble(plan, request, models.infer);
    assert.deepEqual(
      models.calls.map((c) => c.model),
      ['b'],
    );
    assert.deepEqual(
      sent[0]!.response!.outputs.map((t) => t.name),
      ['O2'],
    );
  });

  test('a decoupled step: downstream runs once per response, the ensemble streams and ends with the final flag', async () => {
    const fanout = unary('fanout', 0, 'model_transaction_policy { decoupled: true }');
    const plan = planOf(
      ensemble('stream', IO1, [step('fanout', { X: 'IN' }, { Y: 't' }), step('post', { X: 't' }, { Y: 'OUT' })], 0),
      [fanout, unary('post', 0)],
    );
    assert.equal(plan.decoupled, true);
    const models = new FakeModels().on(
      'post',
      mapX((v) => v * 10),
    );
    const { request, sent } = ensembleRequest([f32('IN', [4], [1, 2, 3, 4])]);
    const done = runEnsemble(plan, request, models.infer);
    await models.waitForCalls(1);
    const source = models.callsTo('fanout')[0]!;
    for (let i = 1; i <= 3; i++) source.respond([f32('Y', [4], [i, i, i, i])], { final: false });
    await settle();
    source.finish();
    await done;
    assert.equal(models.callsTo('post').length, 3);
    const data = sent.filter((s) => s.response).map((s) => f32Values(s.response!.outputs[0]!)[0]);
    assert.deepEqual(data.sort(), [10, 20, 30]);
    assert.deepEqual(
      sent.map((s) => s.final),
      [false, false, false, true],
    );
    assert.equal(sent[3]!.response, undefined);
  });

  test('a failing step: the error names ensemble, step and model; the steps in flight are cancelled', async () => {
    const plan = planOf(
      ensemble('two', `input [ { name: "IN" ${V4} } ]\noutput [ { name: "O1" ${V4} }, { name: "O2" ${V4} } ]`, [
        step('slow', { X: 'IN' }, { Y: 'O1' }),
        step('broken', { X: 'IN' }, { Y: 'O2' }),
      ]),
      [unary('slow'), unary('broken')],
    );
    const models = new FakeModels().on('broken', (c) => c.fail(new InferenceError('INVALID_ARG', 'bad input')));
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    let over = false;
    const done = runEnsemble(plan, request, models.infer).then(() => (over = true));
    await models.waitForCalls(2);
    await settle();
    // Answered at once, before the cancelled sibling settles...
    assert.equal(sent.length, 1);
    const err = sent[0]!.response!.error!;
    assert.equal(err.code, 'INVALID_ARG');
    assert.equal(err.message, "in ensemble 'two', step 1 (model 'broken'): bad input");
    const slow = models.callsTo('slow')[0]!;
    assert.equal(slow.ctx.signal.aborted, true);
    await done;
    assert.equal(over, true);
    assert.equal(sent.length, 1);
  });

  test('cancelling the ensemble request cancels every step in flight, and nothing runs after', async () => {
    const plan = planOf(
      ensemble('pipe', IO1, [step('a', { X: 'IN' }, { Y: 't' }), step('b', { X: 't' }, { Y: 'OUT' })]),
      [unary('a'), unary('b')],
    );
    const models = new FakeModels();
    const { request, cancel, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    const done = runEnsemble(plan, request, models.infer);
    await models.waitForCalls(1);
    const a = models.callsTo('a')[0]!;
    const reason = new InferenceError('CANCELLED', 'request cancelled by the client');
    cancel.abort(reason);
    assert.equal(a.ctx.signal.aborted, true);
    assert.equal(a.ctx.signal.reason, reason);
    await done;
    assert.equal(models.callsTo('b').length, 0);
    assert.equal(sent[0]!.response!.error!.code, 'CANCELLED');
  });

  test('a request cancelled before it starts sends steps an aborted signal', async () => {
    const plan = planOf(ensemble('one', IO1, [step('a', { X: 'IN' }, { Y: 'OUT' })]), [unary('a')]);
    const models = new FakeModels();
    const { request, cancel, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    cancel.abort(new InferenceError('DEADLINE_EXCEEDED', 'deadline exceeded'));
    await runEnsemble(plan, request, models.infer);
    assert.equal(models.calls[0]!.ctx.signal.aborted, true);
    assert.equal(sent[0]!.response!.error!.code, 'DEADLINE_EXCEEDED');
  });

  test('a non-decoupled ensemble whose outputs never come answers the deadlock error', async () => {
    const plan = planOf(ensemble('one', IO1, [step('a', { X: 'IN' }, { Y: 'OUT' })]), [unary('a')]);
    const models = new FakeModels().on('a', (c) => c.finish());
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    await runEnsemble(plan, request, models.infer);
    assert.match(sent[0]!.response!.error!.message, /in ensemble 'one', unexpected deadlock/);
  });

  test('step compute times add up into the ensemble timings', async () => {
    const plan = planOf(
      ensemble('pipe', IO1, [step('a', { X: 'IN' }, { Y: 't' }), step('b', { X: 't' }, { Y: 'OUT' })]),
      [unary('a'), unary('b')],
    );
    const models = new FakeModels();
    for (const [m, ns] of [
      ['a', 100],
      ['b', 1000],
    ] as const) {
      models.on(m, (c) =>
        c.respond([f32('Y', [1, 4], [0, 0, 0, 0])], {
          durations: { computeInputNs: ns, computeInferNs: 2 * ns, computeOutputNs: 3 * ns },
        }),
      );
    }
    const { request } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    assert.deepEqual(await runEnsemble(plan, request, models.infer), {
      computeInputNs: 1100,
      computeInferNs: 2200,
      computeOutputNs: 3300,
    });
  });

  test('batch dims across batching and non-batching steps follow Triton', async () => {
    const plan = planOf(
      ensemble('mixed', IO1, [step('nb', { X: 'IN' }, { Y: 't' }), step('b', { X: 't' }, { Y: 'OUT' })], 4),
      [
        modelConfig('nb', `max_batch_size: 0\ninput [ { name: "X" ${V4} } ]\noutput [ { name: "Y" ${V4} } ]`),
        unary('b'),
      ],
    );
    const models = new FakeModels()
      .on(
        'nb',
        mapX((v) => v),
      )
      .on(
        'b',
        mapX((v) => v),
      );
    const { request, sent } = ensembleRequest([f32('IN', [1, 4], [1, 2, 3, 4])]);
    await runEnsemble(plan, request, models.infer);
    // Into the non-batching model the batch of 1 is dropped; into the batching one it comes back.
    assert.deepEqual(models.callsTo('nb')[0]!.input('X').shape, [4]);
    assert.deepEqual(models.callsTo('b')[0]!.input('X').shape, [1, 4]);
    assert.deepEqual(sent[0]!.response!.outputs[0]!.shape, [1, 4]);
  });
});

describe('reshapeForStep', () => {
  test("Triton's ReshapeTensorDims cases", () => {
    assert.deepEqual(reshapeForStep([4], true, 2, [2, 4]), [2, 4]);
    assert.deepEqual(reshapeForStep([4], true, 0, [4]), [1, 4]);
    assert.deepEqual(reshapeForStep([-1], true, 0, [7]), [1, 7]);
    assert.deepEqual(reshapeForStep([4], true, 0, [3, 4]), [3, 4]);
    assert.deepEqual(reshapeForStep([4], false, 1, [1, 4]), [4]);
    assert.deepEqual(reshapeForStep([1, 4], false, 1, [1, 4]), [1, 4]);
    assert.deepEqual(reshapeForStep([4], false, 2, [2, 4]), [2, 4]);
    assert.deepEqual(reshapeForStep([4], false, 0, [4]), [4]);
  });
});
