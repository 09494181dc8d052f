import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { tokenizePbtxt } from './pbtxt-lexer.js';

const str = (literal: string): string => {
  const toks = tokenizePbtxt(`x: ${literal}`, 'f');
  const t = toks[2];
  assert.equal(t?.kind, 'string');
  return t.text;
};

const errorOf = (fn: () => unknown): InferenceError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferenceError);
    assert.equal(err.code, 'INVALID_ARG');
    return err;
  }
  assert.fail('expected an error');
};

describe('tokenizePbtxt', () => {
  test('gives every token its line and column and drops comments', () => {
    const toks = tokenizePbtxt('# header\nname: "m"  # trailing\n  dims: [ -1, 0x10 ]\n', 'f');
    assert.deepEqual(
      toks.map((t) => [t.kind, t.text, t.line, t.column]),
      [
        ['ident', 'name', 2, 1],
        ['punct', ':', 2, 5],
        ['string', 'm', 2, 7],
        ['ident', 'dims', 3, 3],
        ['punct', ':', 3, 7],
        ['punct', '[', 3, 9],
        ['punct', '-', 3, 11],
        ['number', '1', 3, 12],
        ['punct', ',', 3, 13],
        ['number', '0x10', 3, 15],
        ['punct', ']', 3, 20],
        ['eof', '', 4, 1],
      ],
    );
  });

  test('decodes every escape in both quote styles', () => {
    assert.equal(str(String.raw`"a\nb\tc\rd"`), 'a\nb\tc\rd');
    assert.equal(str(String.raw`"\a\b\f\v\?"`), '\x07\b\f\v?');
    assert.equal(str(String.raw`"q\"q\'q\\q"`), 'q"q\'q\\q');
    assert.equal(str(String.raw`'single \' and " inside'`), 'single \' and " inside');
    assert.equal(str(String.raw`"\101\60\0"`), 'A0\0');
    assert.equal(str(String.raw`"\x41\x4a\x7"`), 'AJ\x07');
    assert.equal(str(String.raw`"\303\251t\xc3\xa9"`), 'été');
    assert.equal(str(String.raw`"\u00e9\U0001F600"`), 'é😀');
  });

  test('reads numbers with exponents, suffixes and hex', () => {
    const toks = tokenizePbtxt('1.5e-3 .5 2f 0x1F 017 1E+2', 'f');
    assert.deepEqual(
      toks.filter((t) => t.kind === 'number').map((t) => t.text),
      ['1.5e-3', '.5', '2f', '0x1F', '017', '1E+2'],
    );
  });

  test('reports bad input with its position', () => {
    assert.match(errorOf(() => tokenizePbtxt('a: "abc', 'cfg.pbtxt')).message, /^cfg\.pbtxt:1:4: unterminated string/);
    assert.match(errorOf(() => tokenizePbtxt('a: "x\ny"', 'cfg.pbtxt')).message, /^cfg\.pbtxt:1:4: unterminated/);
    assert.match(errorOf(() => tokenizePbtxt('\n  a: "\\q"', 'c')).message, /^c:2:7: invalid escape sequence '\\q'/);
    assert.match(errorOf(() => tokenizePbtxt('a: "\\400"', 'c')).message, /^c:1:5: octal escape/);
    assert.match(errorOf(() => tokenizePbtxt('a: "\\xZ"', 'c')).message, /^c:1:5: '\\x' escape/);
    assert.match(errorOf(() => tokenizePbtxt('a: "\\u12"', 'c')).message, /^c:1:5: '\\u' escape/);
    assert.match(errorOf(() => tokenizePbtxt('a: 1\nb @ 2', 'c')).message, /^c:2:3: unexpected character '@'/);
  });
});
