import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GenerateRequestMessage } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError } from '../../core/errors.js';
import type { InferenceCore } from '../../core/inference-core.js';
import { generateInferRequest, LlmModelPicker, samplingOf } from './generate-request.js';

function msg(over: Partial<GenerateRequestMessage> = {}): GenerateRequestMessage {
  return {
    prompt: 'p',
    max_tokens: 0,
    temperature: 0,
    model: '',
    stop: [],
    model_version: '',
    ignore_eos: false,
    ...over,
  };
}

const code = (c: string) => (e: unknown) => e instanceof InferenceError && e.code === c;

describe('samplingOf', () => {
  test('unset fields are left to the model; temperature 0 means greedy', () => {
    assert.deepEqual(samplingOf(msg({ top_p: null, seed: null })), { temperature: 0 });
  });

  test('set fields pass with vLLM names; float32 values read back as written', () => {
    const sampling = samplingOf(
      msg({
        max_tokens: 16,
        temperature: Math.fround(0.7),
        seed: 0,
        stop: ['\n', 'END'],
        top_p: Math.fround(0.9),
        top_k: 40,
        repetition_penalty: Math.fround(1.1),
        ignore_eos: true,
      }),
    );
    assert.deepEqual(sampling, {
      temperature: 0.7,
      max_tokens: 16,
      seed: 0,
      stop: ['\n', 'END'],
      top_p: 0.9,
      top_k: 40,
      repetition_penalty: 1.1,
      ignore_eos: true,
    });
  });

  test('bad values are INVALID_ARG', () => {
    assert.throws(() => samplingOf(msg({ max_tokens: -1 })), code('INVALID_ARG'));
    assert.throws(() => samplingOf(msg({ temperature: -0.5 })), code('INVALID_ARG'));
    assert.throws(() => samplingOf(msg({ stop: [''] })), code('INVALID_ARG'));
    // inf and nan floats would reach the sampling JSON as null, the default: refused.
    for (const v of [Infinity, -Infinity, NaN]) {
      assert.throws(() => samplingOf(msg({ top_p: v })), code('INVALID_ARG'));
      assert.throws(() => samplingOf(msg({ repetition_penalty: v })), code('INVALID_ARG'));
      assert.throws(() => samplingOf(msg({ temperature: v })), code('INVALID_ARG'));
    }
  });

  test('the core request names the model and version and leaves the prompt out of the reply', () => {
    const r = generateInferRequest(msg({ model_version: '2' }), 'llm', true);
    assert.equal(r.modelName, 'llm');
    assert.equal(r.modelVersion, '2');
    assert.deepEqual(
      r.inputs.map((t) => [t.name, t.datatype]),
      [
        ['text_input', 'BYTES'],
        ['stream', 'BOOL'],
        ['sampling_parameters', 'BYTES'],
        ['exclude_input_in_output', 'BOOL'],
      ],
    );
    assert.equal(r.inputs[1]!.data[0], 1);
    assert.equal(r.inputs[3]!.data[0], 1);
  });
});

/** A core with the given ready models; `llm: true` ones implement the contract. */
function fakeCore(models: Record<string, { llm: boolean }>): { core: InferenceCore; listings: number } {
  const state = { listings: 0 };
  const config = (llm: boolean): ModelConfig =>
    ({
      model_transaction_policy: { decoupled: llm },
      input: [{ name: 'text_input', data_type: 'TYPE_STRING' }],
      output: [{ name: 'text_output', data_type: 'TYPE_STRING' }],
    }) as unknown as ModelConfig;
  const core = {
    isModelReady: (name: string) => name in models,
    modelConfig: (name: string) => {
      const m = models[name];
      if (!m) throw new InferenceError('NOT_FOUND', `unknown model '${name}'`);
      return config(m.llm);
    },
    repositoryIndex: () => {
      state.listings++;
      return Promise.resolve(
        Object.keys(models)
          .sort()
          .map((name) => ({ name, version: '1', state: 'READY' as const, reason: '' })),
      );
    },
  } as unknown as InferenceCore;
  return {
    core,
    get listings() {
      return state.listings;
    },
  };
}

describe('LlmModelPicker', () => {
  test('a named model must exist and implement the contract', async () => {
    const { core } = fakeCore({ echo: { llm: true }, simple: { llm: false } });
    const picker = new LlmModelPicker(core);
    assert.equal(await picker.pick('echo', ''), 'echo');
    await assert.rejects(picker.pick('simple', ''), code('INVALID_ARG'));
    await assert.rejects(picker.pick('nope', ''), code('NOT_FOUND'));
  });

  test('the default is the first LLM model by name, remembered while ready', async () => {
    const fake = fakeCore({ a_simple: { llm: false }, b_llm: { llm: true }, c_llm: { llm: true } });
    const picker = new LlmModelPicker(fake.core);
    assert.equal(await picker.pick('', ''), 'b_llm');
    assert.equal(await picker.pick('', ''), 'b_llm');
    assert.equal(fake.listings, 1);
  });

  test('no LLM model ready is UNAVAILABLE', async () => {
    const picker = new LlmModelPicker(fakeCore({ simple: { llm: false } }).core);
    await assert.rejects(picker.pick('', ''), code('UNAVAILABLE'));
  });
});
