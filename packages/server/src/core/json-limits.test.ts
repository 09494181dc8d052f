import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InferenceError } from './errors.js';
import { assertJsonLimits, jsonLimitProblem, jsonTooDeep, MAX_JSON_CONTAINERS, MAX_JSON_DEPTH } from './json-limits.js';
import { propertyOptions } from './property-runs.test-helper.js';

/** `[[...[leaf]...]]` with `depth` arrays, or `{"a":{"a":...leaf}}` with `depth` objects. */
const nested = (depth: number, kind: 'array' | 'object', leaf: unknown = 1): string =>
  kind === 'array'
    ? '['.repeat(depth) + JSON.stringify(leaf) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + JSON.stringify(leaf) + '}'.repeat(depth);

/** Both forms the check takes: the text and its UTF-8 bytes, which must agree. */
function tooDeep(text: string, limit?: number): boolean {
  const asText = jsonTooDeep(text, limit);
  assert.equal(jsonTooDeep(Buffer.from(text, 'utf8'), limit), asText, `bytes and text disagree on ${text}`);
  return asText;
}

/** The depth of a parsed value, recursively (fine for the small values of these tests). */
function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + children.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
}

test('depth counts nested arrays and objects; scalars are 0; brackets in strings do not count', () => {
  for (const scalar of ['1', '"x"', 'true', 'null']) assert.equal(tooDeep(scalar, 0), false);
  assert.equal(tooDeep('[]', 1), false);
  assert.equal(tooDeep('[]', 0), true);
  assert.equal(tooDeep('{"a": [1]}', 2), false);
  assert.equal(tooDeep('{"a": [1]}', 1), true);
  assert.equal(tooDeep('[1, [], [2, [3, [4]]], "x"]', 4), false);
  assert.equal(tooDeep('[1, [], [2, [3, [4, [5]]]], "x"]', 4), true);
  assert.equal(tooDeep('["[[[[[", "{{{{", "\\"[[[[[", "ü[[[[[", "\\\\"]', 1), false);
  assert.equal(tooDeep('{"[[[[": "\\\\", "b": [[]]}', 2), true);
});

test(`documents up to ${MAX_JSON_DEPTH} levels pass, one more is refused (arrays and objects)`, () => {
  for (const kind of ['array', 'object'] as const) {
    assert.doesNotThrow(() => assertJsonLimits(nested(MAX_JSON_DEPTH, kind), 'the doc'));
    for (const form of [nested(MAX_JSON_DEPTH + 1, kind), Buffer.from(nested(MAX_JSON_DEPTH + 1, kind))]) {
      assert.throws(
        () => assertJsonLimits(form, 'the doc'),
        (e: unknown) =>
          e instanceof InferenceError &&
          e.code === 'INVALID_ARG' &&
          e.message === `the doc is nested too deeply (more than ${MAX_JSON_DEPTH} levels of arrays and objects)`,
      );
    }
  }
});

test(`up to ${MAX_JSON_CONTAINERS} arrays and objects pass, one more is refused before parsing`, () => {
  const many = (n: number, item: string): string => `{"inputs":[${`${item},`.repeat(n - 1)}${item}]}`;
  // The body object and its array count too.
  assert.equal(jsonLimitProblem(many(MAX_JSON_CONTAINERS - 2, '{}'), 'the body'), undefined);
  for (const item of ['{}', '[]', '[1,"]"]']) {
    const text = many(MAX_JSON_CONTAINERS - 1, item);
    const expected =
      `the body has more than ${MAX_JSON_CONTAINERS} arrays and objects ` +
      '(write large tensors as flat data, or send them as binary data)';
    assert.equal(jsonLimitProblem(text, 'the body'), expected);
    assert.equal(jsonLimitProblem(Buffer.from(text), 'the body'), expected);
    assert.throws(
      () => assertJsonLimits(text, 'the body'),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && e.message === expected,
    );
  }
  // Brackets in strings are not containers; a long flat array of numbers is one.
  assert.equal(jsonLimitProblem(JSON.stringify({ s: '['.repeat(2 * MAX_JSON_CONTAINERS) }), 'x'), undefined);
  assert.equal(jsonLimitProblem(JSON.stringify({ data: new Array(3 * MAX_JSON_CONTAINERS).fill(0) }), 'x'), undefined);
});

test('a document millions of levels deep is refused at once, wide ones pass', () => {
  assert.equal(tooDeep(nested(5_000_000, 'array')), true);
  assert.equal(tooDeep(JSON.stringify({ data: new Array(1_000_000).fill(1.5) })), false);
  const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, [i]])));
  assert.equal(tooDeep(wide, 2), false);
  assert.equal(tooDeep(wide, 1), true);
});

test('property: on any JSON text, the scan agrees with the depth of the parsed value', () => {
  fc.assert(
    fc.property(
      fc.jsonValue({ depthSize: 'large', maxDepth: 12, stringUnit: 'binary' }),
      fc.integer({ min: 0, max: 13 }),
      (v, limit) => {
        const text = JSON.stringify(v);
        assert.equal(tooDeep(text, limit), depthOf(v) > limit);
        // Pretty-printed, the answer is the same.
        assert.equal(tooDeep(JSON.stringify(v, null, 2), limit), depthOf(v) > limit);
      },
    ),
    propertyOptions(300),
  );
});
