import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../errors.js';
import { MAX_PBTXT_DEPTH, parsePbtxt, type PbtxtField, type PbtxtMessage } from './pbtxt-parser.js';

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferenceError);
    assert.equal(err.code, 'INVALID_ARG');
    return err.message;
  }
  assert.fail('expected an error');
};

const field = (m: PbtxtMessage, i: number): PbtxtField => m.fields[i] as PbtxtField;

describe('parsePbtxt', () => {
  test('parses scalars, messages in {} and <>, with or without colon', () => {
    const tree = parsePbtxt('a: 1\nb { c: "x" }\nd: < e: E >\nf: { }', 'f');
    assert.deepEqual(
      tree.fields.map((f) => [f.name, f.hasColon, f.isList, f.line, f.column]),
      [
        ['a', true, false, 1, 1],
        ['b', false, false, 2, 1],
        ['d', true, false, 3, 1],
        ['f', true, false, 4, 1],
      ],
    );
    const b = field(tree, 1).values[0];
    assert.equal(b?.kind, 'message');
    assert.deepEqual(b.kind === 'message' && b.fields[0]?.values[0], {
      kind: 'scalar',
      token: 'string',
      text: 'x',
      negative: false,
      line: 2,
      column: 8,
    });
  });

  test('parses lists of scalars and of messages, including empty lists', () => {
    const tree = parsePbtxt('dims: [ 1, -2, 3 ]\ninput [ { n: 1 }, < n: 2 > ]\nshape: [ ]', 'f');
    assert.deepEqual(
      field(tree, 0).values.map((v) => (v.kind === 'scalar' ? [v.text, v.negative] : null)),
      [
        ['1', false],
        ['2', true],
        ['3', false],
      ],
    );
    assert.equal(field(tree, 1).isList, true);
    assert.equal(field(tree, 1).hasColon, false);
    assert.deepEqual(
      field(tree, 1).values.map((v) => v.kind),
      ['message', 'message'],
    );
    assert.deepEqual(field(tree, 2).values, []);
  });

  test('accepts , and ; separators and concatenates adjacent strings', () => {
    const tree = parsePbtxt('a: "x" "y" \'z\', b: 2; c: 3', 'f');
    assert.deepEqual(
      tree.fields.map((f) => f.name),
      ['a', 'b', 'c'],
    );
    const a = field(tree, 0).values[0];
    assert.equal(a?.kind === 'scalar' && a.text, 'xyz');
  });

  test('negative inf / nan identifiers', () => {
    const tree = parsePbtxt('a: -inf b: - nan', 'f');
    assert.deepEqual(
      tree.fields.map((f) => {
        const v = f.values[0];
        return v?.kind === 'scalar' ? [v.token, v.text, v.negative] : null;
      }),
      [
        ['ident', 'inf', true],
        ['ident', 'nan', true],
      ],
    );
  });

  test('reports syntax errors with file, line and column', () => {
    assert.equal(
      messageOf(() => parsePbtxt('a {\n  b: 1\n', 'm/config.pbtxt')),
      "m/config.pbtxt:3:1: expected '}' before end of file",
    );
    assert.equal(
      messageOf(() => parsePbtxt('a: 1\nb 2', 'c')),
      "c:2:3: expected ':', '{' or '[' after field name 'b', found '2'",
    );
    assert.equal(
      messageOf(() => parsePbtxt('a: [1 2]', 'c')),
      "c:1:7: expected ',' or ']' in list, found '2'",
    );
    assert.equal(
      messageOf(() => parsePbtxt('a: }', 'c')),
      "c:1:4: expected a value, found '}'",
    );
    assert.equal(
      messageOf(() => parsePbtxt('\n "x": 1', 'c')),
      'c:2:2: expected a field name, found a string',
    );
    assert.equal(
      messageOf(() => parsePbtxt('[ext.f]: 1', 'c')),
      'c:1:1: extension and Any fields are not supported',
    );
    assert.equal(
      messageOf(() => parsePbtxt('a: - "x"', 'c')),
      "c:1:6: expected a number after '-', found a string",
    );
    assert.equal(
      messageOf(() => parsePbtxt('a < b: 1 }', 'c')),
      "c:1:10: expected a field name, found '}'",
    );
  });
});

describe('nesting', () => {
  test(`up to ${MAX_PBTXT_DEPTH} levels parse; deeper is a config error, not a stack overflow`, () => {
    const nested = (depth: number): string => 'a {'.repeat(depth) + '}'.repeat(depth);
    assert.equal(parsePbtxt(nested(MAX_PBTXT_DEPTH), 'f').fields.length, 1);
    assert.equal(
      messageOf(() => parsePbtxt(nested(MAX_PBTXT_DEPTH + 1), 'f')),
      `f:1:${3 * MAX_PBTXT_DEPTH + 3}: messages and lists are nested too deeply (more than ${MAX_PBTXT_DEPTH} levels)`,
    );
    // Regression: 10,000 levels threw RangeError (Maximum call stack size exceeded).
    assert.match(
      messageOf(() => parsePbtxt('a {'.repeat(10_000), 'f')),
      /nested too deeply/,
    );
    assert.match(
      messageOf(() => parsePbtxt('a [{'.repeat(10_000), 'f')),
      /nested too deeply/,
    );
  });
});
