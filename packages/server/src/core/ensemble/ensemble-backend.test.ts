import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CancelSource } from '../cancel-signal.js';
import type { ModelConfig } from '../config/model-config.js';
import { InferenceError } from '../errors.js';
import type { RequestEvent } from '../observer.js';
import { runInference } from '../run-inference.js';
import { ManualClock } from '../scheduling/manual-clock.test-helper.js';
import { ServingVersion } from '../serving-version.js';
import type { InferRequest, InferResponse } from '../types.js';
import { validateRequest } from '../validate-request.js';
import { createEnsembleBackend, ensembleStepsReady } from './ensemble-backend.js';
import { config, f32, f32Values, FakeModels, modelConfig } from './ensemble.test-helper.js';

const V4 = 'data_type: TYPE_FP32 dims: [ 4 ]';
const unary = (name: string): ModelConfig =>
  modelConfig(name, `max_batch_size: 8\ninput [ { name: "X" ${V4} } ]\noutput [ { name: "Y" ${V4} } ]`);
const PIPE = config(`name: "pipe"
platform: "ensemble"
max_batch_size: 8
input [ { name: "IN" ${V4} } ]
output [ { name: "OUT" ${V4} } ]
ensemble_scheduling { step [
  { model_name: "a" model_version: -1 input_map { key: "X" value: "IN" } output_map { key: "Y" value: "t" } },
  { model_name: "b" model_version: 2 input_map { key: "X" value: "t" } output_map { key: "Y" value: "OUT" } }
] }`);
const MODELS = new Map([
  ['a', unary('a')],
  ['b', unary('b')],
]);

/** Loads PIPE through the ensemble backend into a ServingVersion on a manual clock. */
async function serve(models: FakeModels, clock: ManualClock, events: RequestEvent[]): Promise<ServingVersion> {
  const backend = createEnsembleBackend({ infer: models.infer, configOf: (n) => MODELS.get(n) });
  const model = await backend.loadModel({
    name: 'pipe',
    version: 1,
    config: PIPE,
    modelPath: '/nowhere/pipe',
    versionPath: '/nowhere/pipe/1',
    repositoryPath: '/nowhere',
    logger: pino({ level: 'silent' }),
  });
  void events;
  return new ServingVersion('pipe', 1, PIPE, model, clock, {});
}

async function infer(version: ServingVersion, events: RequestEvent[], batch = 1): Promise<InferResponse> {
  const request: InferRequest = {
    modelName: 'pipe',
    modelVersion: '',
    id: 'q',
    inputs: [f32('IN', [batch, 4], Array(4 * batch).fill(1))],
    outputs: [],
    parameters: {},
  };
  const run = runInference(
    version,
    request,
    validateRequest(request, PIPE),
    {
      signal: new CancelSource(),
      protocol: 'grpc',
      allowDecoupled: false,
    },
    { onRequest: (e) => events.push(e) },
  );
  const first = await run.next();
  assert.equal(first.done, false);
  return first.value as InferResponse;
}

describe('the ensemble backend', () => {
  test("statistics: total time end to end, steps' compute times summed, one execution per request", async () => {
    const clock = new ManualClock();
    const events: RequestEvent[] = [];
    const models = new FakeModels();
    for (const [name, ms] of [
      ['a', 3],
      ['b', 7],
    ] as const) {
      models.on(name, (call) => {
        // The step takes `ms` on the injected clock, 1 ms of it in compute_infer.
        clock.advanceNs(ms * 1e6);
        const x = call.input('X');
        const y = f32(
          'Y',
          x.shape,
          f32Values(x).map((v) => v + 1),
        );
        call.respond([y], { durations: { computeInputNs: 0, computeInferNs: 1e6, computeOutputNs: 0 } });
      });
    }
    const version = await serve(models, clock, events);
    clock.advanceNs(1e6); // run-inference reads a start time of 0 as "never started"
    const response = await infer(version, events, 2);
    assert.deepEqual(f32Values(response.outputs[0]!), Array(8).fill(3));
    assert.equal(response.modelName, 'pipe');
    // A fixed step version reaches the step request; -1 leaves it to the model's policy.
    assert.deepEqual(
      models.calls.map((c) => [c.model, c.request.modelVersion]),
      [
        ['a', ''],
        ['b', '2'],
      ],
    );
    const stats = version.statistics();
    assert.equal(stats.inference_count, 2);
    assert.equal(stats.execution_count, 1);
    assert.deepEqual(stats.inference_stats.success, { count: 1, ns: 10e6 });
    assert.deepEqual(stats.inference_stats.queue, { count: 1, ns: 0 });
    assert.deepEqual(stats.inference_stats.compute_infer, { count: 1, ns: 2e6 });
    assert.deepEqual(
      stats.batch_stats.map((b) => [b.batch_size, b.compute_infer]),
      [[2, { count: 1, ns: 2e6 }]],
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.success, true);
  });

  test('a failed ensemble request counts one failure, reason OTHER', async () => {
    const clock = new ManualClock();
    const events: RequestEvent[] = [];
    const models = new FakeModels().on('a', (c) => c.fail(new InferenceError('INTERNAL', 'boom')));
    const version = await serve(models, clock, events);
    await assert.rejects(infer(version, events), /^InferenceError: in ensemble 'pipe', step 0 \(model 'a'\): boom$/);
    assert.equal(version.statistics().inference_stats.fail.count, 1);
    assert.deepEqual(
      events.map((e) => [e.success, e.reason]),
      [[false, 'OTHER']],
    );
  });

  test('loadModel refuses what is not an ensemble, and ensembles without a model caller', async () => {
    const logger = pino({ level: 'silent' });
    const ctx = { name: 'pipe', version: 1, modelPath: '/x', versionPath: '/x/1', repositoryPath: '/', logger };
    const backend = createEnsembleBackend({ infer: new FakeModels().infer, configOf: () => undefined });
    await assert.rejects(
      backend.loadModel({ ...ctx, config: unary('pipe') }),
      /Ensemble model 'pipe' must have platform type 'ensemble' and empty backend type/,
    );
    const none = createEnsembleBackend({ infer: undefined, configOf: (n) => MODELS.get(n) });
    await assert.rejects(none.loadModel({ ...ctx, config: PIPE }), /this server runs no model calls/);
  });

  test('an ensemble is ready only while each step model is, at the step version', () => {
    const asked: string[] = [];
    const ready = (down: string) => (m: string, v: string) => {
      asked.push(`${m}:${v}`);
      return m !== down;
    };
    assert.equal(ensembleStepsReady(PIPE, ready('none')), true);
    assert.deepEqual(asked, ['a:', 'b:2']);
    assert.equal(ensembleStepsReady(PIPE, ready('b')), false);
    assert.equal(ensembleStepsReady(unary('plain'), ready('plain')), true);
  });
});
