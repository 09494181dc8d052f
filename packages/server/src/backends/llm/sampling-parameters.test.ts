import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../core/errors.js';
import { DEFAULT_MAX_TOKENS, parseSamplingParameters } from './sampling-parameters.js';

test('defaults: vLLM’s (temperature 1, penalties off), max_tokens 128', () => {
  for (const empty of [undefined, '', '  ', '{}']) {
    const p = parseSamplingParameters(empty);
    assert.equal(p.temperature, 1);
    assert.equal(p.repetitionPenalty, 1);
    assert.equal(p.maxTokens, DEFAULT_MAX_TOKENS);
    assert.deepEqual(p.stop, []);
    assert.equal(p.seed, undefined);
  }
});

test('every accepted key maps to its field', () => {
  const p = parseSamplingParameters(
    JSON.stringify({
      temperature: 0,
      top_p: 0.9,
      top_k: -1,
      min_p: 0.05,
      repeat_penalty: 1.2,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 7,
      max_tokens: 16,
      stop: 'END',
      ignore_eos: false,
    }),
  );
  assert.deepEqual(p, {
    temperature: 0,
    topP: 0.9,
    topK: 0,
    minP: 0.05,
    repetitionPenalty: 1.2,
    presencePenalty: 0.5,
    frequencyPenalty: -0.5,
    seed: 7,
    maxTokens: 16,
    stop: ['END'],
  });
  assert.deepEqual(parseSamplingParameters('{"stop": ["a", "b"], "top_k": 40, "temperature": null}').stop, ['a', 'b']);
  assert.equal(parseSamplingParameters('{"temperature": null}').temperature, 1, 'null means default');
});

test('errors name the key and the expected value', () => {
  const cases: Array<[string, RegExp]> = [
    ['{', /not valid JSON/],
    ['[]', /must be a JSON object/],
    ['3', /must be a JSON object/],
    ['{"temperature": -0.1}', /'temperature' must be a number >= 0, got -0.1/],
    ['{"temperature": "hot"}', /'temperature' must be a number >= 0, got "hot"/],
    ['{"top_p": 0}', /'top_p' must be a number in \(0, 1\]/],
    ['{"top_k": 1.5}', /'top_k' must be an integer >= -1/],
    ['{"min_p": 2}', /'min_p'/],
    ['{"repetition_penalty": 0}', /'repetition_penalty' must be a number > 0/],
    ['{"repetition_penalty": 1.1, "repeat_penalty": 1.1}', /not both/],
    ['{"seed": -1}', /'seed' must be an integer in \[0, 4294967295\]/],
    ['{"max_tokens": 0}', /'max_tokens' must be an integer >= 1/],
    ['{"max_tokens": 2.5}', /'max_tokens'/],
    ['{"stop": 5}', /'stop' must be a string or an array of strings/],
    ['{"stop": ["ok", ""]}', /'stop' must be a string or an array of non-empty strings/],
    ['{"ignore_eos": "yes"}', /'ignore_eos' must be a boolean/],
    ['{"n": 2}', /unknown key 'n' \(accepted: temperature, /],
    // A deep value would overflow JSON.stringify in the message naming it.
    [
      `{"temperature": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      /^sampling_parameters is nested too deeply \(more than 64 levels of arrays and objects\)$/,
    ],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => parseSamplingParameters(json),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && message.test(e.message),
      json,
    );
  }
});

test('ignore_eos: true is carried as ignoreEos; false and absent leave it out', () => {
  assert.equal(parseSamplingParameters('{"ignore_eos": true}').ignoreEos, true);
  assert.equal('ignoreEos' in parseSamplingParameters('{"ignore_eos": false}'), false);
  assert.equal('ignoreEos' in parseSamplingParameters(''), false);
});
