import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { elideMiddle, textUnits } from './bounded-text.js';
import { InferenceError, MAX_ERROR_MESSAGE_LENGTH } from './errors.js';
import { propertyOptions } from './property-runs.test-helper.js';

describe('elideMiddle', () => {
  test('text that fits is unchanged', () => {
    assert.equal(
      elideMiddle("Request for unknown model: 'simple' is not found", 100),
      "Request for unknown model: 'simple' is not found",
    );
    assert.equal(elideMiddle('x'.repeat(100), 100), 'x'.repeat(100));
  });

  test('longer text keeps its head and tail around a marker, within the bound', () => {
    const text = `unknown model '${'n'.repeat(10_000)}' is not found`;
    const out = elideMiddle(text, 100);
    assert.ok(out.length <= 100 && out.length >= 95, String(out.length));
    assert.match(out, /^unknown model 'n+\.\.\.\[\d+ characters omitted\]\.\.\.n+' is not found$/);
    const omitted = Number(/\[(\d+) characters/.exec(out)![1]);
    assert.equal(out.length - `...[${omitted} characters omitted]...`.length + omitted, text.length);
  });

  test('never splits a surrogate pair, at either cut', () => {
    const out = elideMiddle('😀'.repeat(1000), 101);
    assert.doesNotMatch(out, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  test('any text, any unit: at most max units, unchanged when it fits', () => {
    const units = (cp: number) => (cp < 0x80 ? 1 : cp < 0x800 ? 6 : cp < 0x10000 ? 9 : 12);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 40, max: 300 }), (text, max) => {
        const out = elideMiddle(text, max, units);
        assert.ok(textUnits(out, units) <= max, `${textUnits(out, units)} > ${max}`);
        if (textUnits(text, units) <= max) assert.equal(out, text);
      }),
      propertyOptions(300),
    );
  });

  test('a 64 MiB name costs only the bound', () => {
    const out = elideMiddle(`'${'n'.repeat(64 << 20)}'`, 50);
    assert.ok(out.length <= 50 && out.length >= 40, String(out.length));
  });
});

describe('InferenceError messages', () => {
  test('are bounded, so an echoed client name cannot make them megabytes', () => {
    const e = new InferenceError('NOT_FOUND', `Request for unknown model: '${'n'.repeat(1 << 20)}' is not found`);
    assert.ok(e.message.length <= MAX_ERROR_MESSAGE_LENGTH);
    assert.match(e.message, /^Request for unknown model: 'nnn.*nnn' is not found$/);
  });

  test('of normal length are unchanged', () => {
    const text = `unexpected inference input '${'i'.repeat(200)}' for model 'simple'`;
    assert.equal(new InferenceError('INVALID_ARG', text).message, text);
  });
});
