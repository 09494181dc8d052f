import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../core/errors.js';
import { toGrammarSchema } from './json-schema-subset.js';
import { readGenerationControls } from './generation-controls.js';

test('supported keywords pass, annotations are dropped, anyOf becomes oneOf', () => {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Person',
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 10, description: 'who' },
      kind: { anyOf: [{ const: 'a' }, { type: 'integer' }] },
      tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] }, maxItems: 2 },
      when: { type: 'string', format: 'date' },
      ref: { $ref: '#/$defs/n' },
    },
    $defs: { n: { type: ['number', 'null'] } },
    required: ['name'],
    additionalProperties: false,
  };
  assert.deepEqual(toGrammarSchema(schema, 'schema'), {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 10 },
      kind: { oneOf: [{ const: 'a' }, { type: 'integer' }] },
      tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] }, maxItems: 2 },
      when: { type: 'string', format: 'date' },
      ref: { $ref: '#/$defs/n' },
    },
    $defs: { n: { type: ['number', 'null'] } },
    required: ['name'],
    additionalProperties: false,
  });
});

test('a keyword the grammar cannot enforce is refused with its JSON pointer', () => {
  const cases: Array<[unknown, RegExp]> = [
    [
      { type: 'object', properties: { z: { type: 'string', pattern: '^a' } } },
      /'pattern'.* at '\/properties\/z'|at '\/properties\/z'.*'pattern'/,
    ],
    [{ type: 'integer', minimum: 0 }, /'minimum'/],
    [{ allOf: [{ type: 'string' }] }, /'allOf'/],
    [{ type: 'string', format: 'email' }, /'format' "email"/],
    [{}, /allows any value/],
    [{ type: 'object', properties: { a: true } }, /allows any value/],
    [{ type: 'thing' }, /'type' must be/],
    [{ $ref: 'http://x' }, /\$defs/],
    [[1], /JSON object/],
  ];
  for (const [schema, message] of cases) {
    assert.throws(
      () => toGrammarSchema(schema, 'response_format'),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && message.test(e.message),
      JSON.stringify(schema),
    );
  }
});

test('generation controls: guided_decoding, logit_bias and logprobs, each checked', () => {
  assert.deepEqual(readGenerationControls({}), {});
  assert.deepEqual(readGenerationControls({ guided_decoding: { json_object: true }, logprobs: 2 }), {
    guidedDecoding: { kind: 'json_object' },
    logprobs: 2,
  });
  assert.deepEqual(readGenerationControls({ guided_decoding: { json: '{"type": "boolean"}' } }), {
    guidedDecoding: { kind: 'json_schema', schema: { type: 'boolean' } },
  });
  assert.deepEqual(
    [...readGenerationControls({ logit_bias: { '5': -100, '7': 2.5 } }).logitBias!],
    [
      [5, -100],
      [7, 2.5],
    ],
  );
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ guided_decoding: { regex: 'a+' } }, /'guided_decoding.regex' is not supported/],
    [{ guided_decoding: { json_object: true, json: { type: 'string' } } }, /exactly one/],
    [{ guided_decoding: { json_object: false } }, /must be true/],
    [{ guided_decoding: { json: '{' } }, /not valid JSON/],
    [{ logit_bias: { abc: 1 } }, /token ids/],
    [{ logit_bias: { '1': 101 } }, /-100 to 100/],
    [{ logit_bias: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [String(i), 1])) }, /at most 300/],
    [{ logprobs: 21 }, /from 0 to 20/],
    [{ logprobs: true }, /from 0 to 20/],
  ];
  for (const [obj, message] of bad) {
    assert.throws(
      () => readGenerationControls(obj),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && message.test(e.message),
      JSON.stringify(obj).slice(0, 80),
    );
  }
});
