// The core's events for decoupled models (onRunning, onResponse) and the LLM contract helpers,
// on a fake one-slot instance and a manual clock: no workers, no sleeping.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements } from '@tensorgate/protocol';
import type { ExecutionRequest, ModelInstance } from '../backend-api/backend.js';
import { normalizeConfig } from './config/normalize-config.js';
import { buildLlmRequest, isLlmModelConfig, llmCompletionInfo, llmResponseText, LLM_OUTPUT } from './llm-contract.js';
import type { InferenceObserver, ResponseEvent } from './observer.js';
import { runInference } from './run-inference.js';
import { ManualClock } from './scheduling/manual-clock.test-helper.js';
import { ServingVersion } from './serving-version.js';
import type { RequestContext, Tensor } from './types.js';
import { validateRequest } from './validate-request.js';

const io = (name: string, type: string, optional = true): Record<string, unknown> => ({
  name,
  data_type: type,
  dims: [1],
  optional,
});

function llmConfig(overrides: Record<string, unknown> = {}): ReturnType<typeof normalizeConfig> {
  return normalizeConfig(
    {
      name: 'llm',
      backend: 'js',
      max_batch_size: 0,
      model_transaction_policy: { decoupled: true },
      input: [io('text_input', 'TYPE_STRING'), io('stream', 'TYPE_BOOL'), io('sampling_parameters', 'TYPE_STRING')],
      output: [{ name: 'text_output', data_type: 'TYPE_STRING', dims: [-1] }],
      ...overrides,
    },
    { modelName: 'llm' },
  );
}

const text = (s: string): Tensor => ({
  name: LLM_OUTPUT,
  datatype: 'BYTES',
  shape: [1],
  data: encodeBytesElements([s]),
});

/** An instance that takes one request at a time and holds it until the test releases it. */
class HeldInstance implements ModelInstance {
  readonly name = 'llm_0';
  readonly held: Array<{ request: ExecutionRequest; done: () => void }> = [];
  execute(batch: readonly ExecutionRequest[]): Promise<{ computeInputNs: 0; computeInferNs: 0; computeOutputNs: 0 }> {
    return new Promise((resolve) =>
      this.held.push({
        request: batch[0]!,
        done: () => resolve({ computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 }),
      }),
    );
  }
}

function setup(): {
  version: ServingVersion;
  instance: HeldInstance;
  clock: ManualClock;
  running: Array<[number, number]>;
  responses: ResponseEvent[];
  start: (prompt: string) => AsyncIterator<unknown>;
} {
  const clock = new ManualClock();
  const instance = new HeldInstance();
  const running: Array<[number, number]> = [];
  const responses: ResponseEvent[] = [];
  const observer: InferenceObserver = {
    onRunning: (_m, _v, info) => running.push([info.running, info.waiting]),
    onResponse: (e) => responses.push(e),
  };
  const config = llmConfig();
  const version = new ServingVersion(
    'llm',
    1,
    config,
    { instances: [instance], unload: async () => {} },
    clock,
    observer,
  );
  const ctx: RequestContext = { signal: new AbortController().signal, protocol: 'internal', allowDecoupled: true };
  const start = (prompt: string): AsyncIterator<unknown> => {
    const request = buildLlmRequest({ model: 'llm', prompt, stream: true, sampling: { max_tokens: 4 } });
    const run = runInference(version, request, validateRequest(request, config), ctx, observer);
    void run.next(); // starts the request
    return run;
  };
  return { version, instance, clock, running, responses, start };
}

describe('LLM contract helpers', () => {
  test('recognise contract models only', () => {
    assert.equal(isLlmModelConfig(llmConfig()), true);
    assert.equal(isLlmModelConfig(llmConfig({ model_transaction_policy: { decoupled: false } })), false);
    assert.equal(
      isLlmModelConfig(llmConfig({ output: [{ name: 'text_output', data_type: 'TYPE_INT32', dims: [1] }] })),
      false,
    );
    assert.equal(isLlmModelConfig(llmConfig({ input: [io('prompt', 'TYPE_STRING')] })), false);
  });

  test('build a request and read responses', () => {
    const r = buildLlmRequest({
      model: 'm',
      prompt: 'hi',
      stream: false,
      sampling: { max_tokens: 3, seed: undefined },
    });
    assert.deepEqual(
      r.inputs.map((t) => t.name),
      ['text_input', 'stream', 'sampling_parameters'],
    );
    const sampling = new TextDecoder().decode(r.inputs[2]!.data.subarray(4));
    assert.equal(sampling, '{"max_tokens":3}');
    assert.equal(r.inputs[1]!.data[0], 0);
    const response = {
      modelName: 'm',
      modelVersion: '1',
      id: '',
      outputs: [text('a'), text('b')],
      parameters: {},
      final: true,
    };
    assert.equal(llmResponseText(response), 'ab');
    assert.deepEqual(llmCompletionInfo({ finish_reason: 'length', num_input_tokens: 2, num_output_tokens: -1 }), {
      finishReason: 'length',
      inputTokens: 2,
    });
  });
});

describe('decoupled-model events', () => {
  test('running and waiting follow the queue and the instance', () => {
    const { instance, running, start } = setup();
    start('a');
    start('b');
    // a: entered (waiting 1), then handed to the instance; b: entered and waits for the slot.
    assert.deepEqual(running, [
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    running.length = 0;
    const first = instance.held[0]!;
    first.request.sender.send(undefined, { final: true });
    first.done();
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      // a left; b was handed over; (b still running)
      assert.deepEqual(running, [
        [0, 1],
        [1, 0],
      ]);
    });
  });

  test('one event per delivered response with its timing', async () => {
    const { instance, clock, responses, start } = setup();
    start('a');
    const sender = instance.held[0]!.request.sender;
    clock.advanceNs(5e6);
    sender.send({ outputs: [text('x')] }, { final: false });
    clock.advanceNs(2e6);
    sender.send({ outputs: [text('y')] }, { final: false });
    clock.advanceNs(1e6);
    sender.send({ outputs: [], parameters: { finish_reason: 'stop', num_output_tokens: 2 } }, { final: true });
    assert.deepEqual(
      responses.map((e) => [e.hasOutputs, e.final, e.sinceArrivalNs, e.sincePreviousNs, e.llm]),
      [
        [true, false, 5e6, -1, true],
        [true, false, 7e6, 2e6, true],
        [false, true, 8e6, -1, true],
      ],
    );
    assert.deepEqual(responses[2]!.parameters, { finish_reason: 'stop', num_output_tokens: 2 });
  });

  test('an empty final text (the llm backend after streamed tokens) is not one more token', () => {
    const { instance, clock, responses, start } = setup();
    start('a');
    const sender = instance.held[0]!.request.sender;
    clock.advanceNs(5e6);
    sender.send({ outputs: [text('x')] }, { final: false });
    clock.advanceNs(2e6);
    sender.send({ outputs: [text('y'), text('')] }, { final: false });
    clock.advanceNs(1e6);
    sender.send({ outputs: [text('')], parameters: { finish_reason: 'stop' } }, { final: true });
    assert.deepEqual(
      responses.map((e) => [e.hasOutputs, e.sincePreviousNs]),
      [
        [true, -1],
        [true, 2e6],
        [false, -1],
      ],
    );
  });

  test('non-decoupled models report no per-response or running events', async () => {
    const clock = new ManualClock();
    const instance = new HeldInstance();
    const events: string[] = [];
    const observer: InferenceObserver = {
      onRunning: () => events.push('running'),
      onResponse: () => events.push('response'),
      onPending: () => events.push('pending'),
    };
    const config = llmConfig({ model_transaction_policy: { decoupled: false } });
    const version = new ServingVersion(
      'm',
      1,
      config,
      { instances: [instance], unload: async () => {} },
      clock,
      observer,
    );
    const request = buildLlmRequest({ model: 'm', prompt: 'p', stream: false });
    const run = runInference(
      version,
      request,
      validateRequest(request, config),
      {
        signal: new AbortController().signal,
        protocol: 'internal',
        allowDecoupled: false,
      },
      observer,
    );
    const first = run.next();
    instance.held[0]!.request.sender.send({ outputs: [text('z')] }, { final: true });
    instance.held[0]!.done();
    assert.equal((await first).done, false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['pending', 'pending']);
  });
});
