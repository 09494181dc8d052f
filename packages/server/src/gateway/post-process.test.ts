import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, nest, parseClassification, softmax, squeeze, topK } from './post-process.js';
import { mergeReplies, shapeOutput, shapeReply, UpstreamShapeError } from './response-shaping.js';
import type { OutputMapping } from './route-types.js';

const close = (a: readonly number[], b: readonly number[]): void => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-12, `element ${i}: ${x} vs ${b[i]}`));
};

describe('post-processing math', () => {
  test('softmax per row of the last axis, stable for large values', () => {
    close(softmax([0, Math.log(3)], [2]), [0.25, 0.75]);
    close(softmax([1, 1, 1000, 1000], [2, 2]), [0.5, 0.5, 0.5, 0.5]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    close(softmax([1, 2, 3], [1, 3]), [e[0]! / s, e[1]! / s, e[2]! / s]);
  });

  test('argmax per row, first index on ties', () => {
    assert.deepEqual(argmax([1, 5, 5, 0, -1, -2], [2, 3]), { indices: [1, 0], shape: [2] });
  });

  test('topK per row with labels, best first, ties by index, k capped at the width', () => {
    const r = topK([0.1, 0.7, 0.2, 0.7, 9, 8], [2, 3], 2, ['a', 'b', 'c']);
    assert.deepEqual(r.shape, [2, 2]);
    assert.deepEqual(r.rows, [
      [
        { index: 1, label: 'b', score: 0.7 },
        { index: 2, label: 'c', score: 0.2 },
      ],
      [
        { index: 1, label: 'b', score: 9 },
        { index: 2, label: 'c', score: 8 },
      ],
    ]);
    assert.deepEqual(topK([3, 3], [2], 5).rows, [
      [
        { index: 0, score: 3 },
        { index: 1, score: 3 },
      ],
    ]);
  });

  test('classification strings', () => {
    assert.deepEqual(parseClassification('0.5:3:class:with:colons'), {
      index: 3,
      label: 'class:with:colons',
      score: 0.5,
    });
    assert.deepEqual(parseClassification('-1.25:7'), { index: 7, score: -1.25 });
    assert.throws(() => parseClassification('nonsense'), /malformed classification result/);
  });

  test('squeeze and nest', () => {
    assert.deepEqual(squeeze([1, 5]), [5]);
    assert.deepEqual(squeeze([1, 1]), []);
    assert.deepEqual(squeeze([1, 1], true), [1]);
    assert.deepEqual(nest([1, 2, 3, 4, 5, 6], [2, 3]), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(nest([1, 2], [2, 1]), [[1], [2]]);
    assert.equal(nest(['x'], []), 'x');
  });
});

const mapping = (over: Partial<OutputMapping>): OutputMapping => ({
  field: 'f',
  tensor: 'T',
  softmax: false,
  argmax: false,
  squeeze: true,
  ...over,
});

describe('response shaping', () => {
  const logits = { name: 'T', datatype: 'FP32', shape: [1, 3], values: [1, 3, 2] };

  test('plain outputs are nested by shape and squeezed (or not)', () => {
    assert.deepEqual(
      shapeOutput(mapping({}), { name: 'T', datatype: 'FP32', shape: [1, 5], values: [1, 2, 3, 4, 5] }),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(shapeOutput(mapping({ squeeze: false }), logits), [[1, 3, 2]]);
    assert.equal(shapeOutput(mapping({}), { name: 'T', datatype: 'BYTES', shape: [1], values: ['hi'] }), 'hi');
    assert.deepEqual(
      shapeOutput(mapping({}), { name: 'T', datatype: 'INT64', shape: [2], values: [5n, 9007199254740993n] }),
      [5, '9007199254740993'],
    );
  });

  test('argmax gives the index, or the label', () => {
    assert.equal(shapeOutput(mapping({ argmax: true }), logits), 1);
    assert.equal(
      shapeOutput(mapping({ argmax: true, labels: { kind: 'list', labels: ['a', 'b', 'c'] } }), logits),
      'b',
    );
  });

  test('softmax then top-k keeps the k axis even for k = 1', () => {
    const out = shapeOutput(
      mapping({ softmax: true, topK: 1, labels: { kind: 'list', labels: ['a', 'b', 'c'] } }),
      logits,
    ) as {
      index: number;
      label: string;
      score: number;
    }[];
    assert.equal(out.length, 1);
    assert.equal(out[0]!.label, 'b');
    const e = [Math.exp(1), Math.exp(3), Math.exp(2)];
    assert.ok(Math.abs(out[0]!.score - e[1]! / (e[0]! + e[1]! + e[2]!)) < 1e-12);
    assert.deepEqual(shapeOutput(mapping({ softmax: true }), { ...logits, values: [0, 0, 0] }), [1 / 3, 1 / 3, 1 / 3]);
  });

  test('server labels: classification strings become objects', () => {
    const t = { name: 'T', datatype: 'BYTES', shape: [1, 2], values: ['9.5:4:cat', '2:1:dog'] };
    assert.deepEqual(shapeOutput(mapping({ topK: 2, labels: { kind: 'server' } }), t), [
      { index: 4, label: 'cat', score: 9.5 },
      { index: 1, label: 'dog', score: 2 },
    ]);
    assert.equal(
      shapeOutput(mapping({ argmax: true, labels: { kind: 'server' } }), {
        ...t,
        shape: [1, 1],
        values: ['9.5:4:cat'],
      }),
      'cat',
    );
    assert.throws(() => shapeOutput(mapping({ topK: 2, labels: { kind: 'server' } }), logits), UpstreamShapeError);
  });

  test('post-processing a text output is an upstream error', () => {
    assert.throws(
      () => shapeOutput(mapping({ argmax: true }), { name: 'T', datatype: 'BYTES', shape: [1], values: ['x'] }),
      /output 'T' \(field 'f'\) is BYTES, not numeric/,
    );
  });

  test('shapeReply maps fields; a missing output is an upstream error; no mapping returns all', () => {
    assert.deepEqual(shapeReply({ outputs: [mapping({ field: 'best', argmax: true })] }, [logits]), { best: 1 });
    assert.throws(() => shapeReply({ outputs: [mapping({ tensor: 'NOPE' })] }, [logits]), /has no output 'NOPE'/);
    assert.deepEqual(
      shapeReply({ outputs: [] }, [logits, { name: 'U', datatype: 'BOOL', shape: [1], values: [true] }]),
      {
        T: [1, 3, 2],
        U: true,
      },
    );
  });

  test('mergeReplies joins text and concatenates the rest', () => {
    assert.deepEqual(
      mergeReplies([
        { text: 'Hel', n: 1 },
        { text: 'lo', n: [2, 3] },
      ]),
      { text: 'Hello', n: [1, 2, 3] },
    );
    assert.deepEqual(mergeReplies([]), {});
  });
});
