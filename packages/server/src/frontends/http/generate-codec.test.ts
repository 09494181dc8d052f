import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeElements } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError } from '../../core/errors.js';
import { decodeGenerateRequest, encodeGenerateResponse } from './generate-codec.js';

const input = (name: string, data_type: string, dims: number[]) =>
  ({
    name,
    data_type,
    dims,
    format: 'FORMAT_NONE',
    is_shape_tensor: false,
    allow_ragged_batch: false,
    optional: true,
  }) as never;

function config(maxBatch: number): ModelConfig {
  return {
    name: 'm',
    max_batch_size: maxBatch,
    input: [
      input('text_input', 'TYPE_STRING', [1]),
      input('stream', 'TYPE_BOOL', [1]),
      input('ids', 'TYPE_INT32', [-1]),
      input('sampling_parameters', 'TYPE_STRING', [1]),
    ],
    output: [],
  } as unknown as ModelConfig;
}
const target = { modelName: 'm', modelVersion: '' };
const body = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

test('members become typed tensors shaped from the config dims', () => {
  const r = decodeGenerateRequest(
    body({ text_input: 'hi', stream: true, ids: [[1, 2], [3]], p: 5 }),
    config(0),
    target,
  );
  const byName = new Map(r.inputs.map((t) => [t.name, t]));
  assert.deepEqual(byName.get('text_input')!.shape, [1]);
  assert.deepEqual(decodeElements('BYTES', byName.get('text_input')!.data), ['hi']);
  assert.deepEqual(decodeElements('BOOL', byName.get('stream')!.data), [true]);
  assert.deepEqual(byName.get('ids')!.shape, [3]);
  assert.deepEqual(r.parameters, { p: 5 });
  // A batching model gets a leading batch dimension of 1.
  const batched = decodeGenerateRequest(body({ ids: [1, 2] }), config(4), target);
  assert.deepEqual(batched.inputs[0]!.shape, [1, 2]);
});

test('sampling settings fold into sampling_parameters; explicit members win', () => {
  const r = decodeGenerateRequest(
    body({ text_input: 'x', temperature: 0, parameters: { max_tokens: 4 }, sampling_parameters: { max_tokens: 9 } }),
    config(0),
    target,
  );
  const sampling = r.inputs.find((t) => t.name === 'sampling_parameters')!;
  assert.deepEqual(JSON.parse(String(decodeElements('BYTES', sampling.data)[0])), { temperature: 0, max_tokens: 9 });
  assert.deepEqual(r.parameters, {});
  // Loose settings cannot be merged into sampling_parameters text that is not a JSON object: refused,
  // not silently replaced by the loose settings alone.
  for (const text of ['[1]', '"x"', 'not json']) {
    assert.throws(
      () =>
        decodeGenerateRequest(body({ text_input: 'x', temperature: 0, sampling_parameters: text }), config(0), target),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        /'sampling_parameters' must be a JSON object/.test(e.message),
      text,
    );
  }
});

test("a parameter named '__proto__' is kept, as any other (it was dropped silently)", () => {
  const r = decodeGenerateRequest(
    Buffer.from('{"text_input": "x", "__proto__": 3, "parameters": {"constructor": true}}'),
    config(0),
    target,
  );
  assert.deepEqual(Object.keys(r.parameters).sort(), ['__proto__', 'constructor']);
  assert.equal(Object.getPrototypeOf(r.parameters), Object.prototype);
});

test('wrong types, duplicates and nested parameters are INVALID_ARG', () => {
  const invalid = (v: unknown): void => {
    assert.throws(
      () => decodeGenerateRequest(body(v), config(0), target),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG',
    );
  };
  invalid({ stream: 'yes' });
  invalid({ text_input: 1 });
  invalid({ text_input: 'a', parameters: { text_input: 'b' } });
  invalid({ extra: { a: 1 } });
  invalid([1]);
});

test('numbers that are not finite (JSON beyond ±1.8e308) are INVALID_ARG naming where', () => {
  const cases: [string, string][] = [
    ['{"text_input": "x", "max_tokens": 1e400}', 'max_tokens'],
    ['{"text_input": "x", "parameters": {"max_tokens": -1e400}}', 'parameters.max_tokens'],
    ['{"text_input": "x", "sampling_parameters": {"top_p": 1e309}}', 'sampling_parameters.top_p'],
    ['{"text_input": "x", "temperature": 0, "sampling_parameters": "{\\"seed\\": 1e400}"}', 'sampling_parameters.seed'],
    ['{"ids": [1, 1e400]}', 'ids[1]'],
    ['{"text_input": "x", "p": 1e400}', 'p'],
  ];
  for (const [text, where] of cases) {
    assert.throws(
      () => decodeGenerateRequest(Buffer.from(text), config(0), target),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        e.message ===
          `the generate request has a number that is not finite at '${where}' (a JSON number beyond ±1.8e308 reads as Infinity)`,
      text,
    );
  }
});

test('responses flatten to outputs plus parameters', () => {
  const out = encodeGenerateResponse({
    modelName: 'm',
    modelVersion: '1',
    id: '',
    final: true,
    outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [1], data: new Uint8Array([2, 0, 0, 0, 104, 105]) }],
    parameters: { finish_reason: 'stop', text_output: 'ignored' },
  });
  assert.deepEqual(out, { model_name: 'm', model_version: '1', text_output: 'hi', finish_reason: 'stop' });
});
