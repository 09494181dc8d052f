import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateJsonError } from './json-error-position.js';

test('valid documents have no error position', () => {
  for (const ok of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0']) {
    assert.equal(locateJsonError(ok), undefined, ok);
    assert.doesNotThrow(() => JSON.parse(ok));
  }
});

test('invalid documents point at the first bad character', () => {
  const cases: Array<[string, number, number, number]> = [
    ['{"inputs": [}', 12, 1, 13],
    ['{"a" 1}', 5, 1, 6],
    ['{\n  "a": tru\n}', 12, 2, 11],
    ['{"a": 1,}', 8, 1, 9],
    ['[1, 2', 5, 1, 6],
    ['{"a": 01}', 7, 1, 8],
    ['{} x', 3, 1, 4],
    ['', 0, 1, 1],
  ];
  for (const [text, position, line, column] of cases) {
    assert.throws(() => JSON.parse(text));
    assert.deepEqual(locateJsonError(text), { position, line, column }, text);
  }
});
