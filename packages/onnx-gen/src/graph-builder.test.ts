import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type OnnxElemType } from './graph-builder.js';
import { float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from '@tensorgate/protocol/float16';
import { onnx } from './onnx-proto.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addExternalWeightsOnnx } from './test-fixtures.js';

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

function out(results: Record<string, ort.Tensor>, name: string): ort.Tensor {
  const t = results[name];
  assert.ok(t, `missing output ${name}`);
  return t;
}

describe('GraphBuilder', () => {
  test('Add of two int32 inputs with a symbolic batch dim runs for several batch sizes', async () => {
    const bytes = new GraphBuilder('add')
      .input({ name: 'A', type: 'int32', shape: ['batch', 3] })
      .input({ name: 'B', type: 'int32', shape: ['batch', 3] })
      .output({ name: 'SUM', type: 'int32', shape: ['batch', 3] })
      .node('Add', ['A', 'B'], ['SUM'])
      .toBytes();
    const session = await ort.InferenceSession.create(bytes);
    try {
      for (const batch of [1, 2]) {
        const a = Int32Array.from({ length: batch * 3 }, (_, i) => i - 2);
        const b = Int32Array.from({ length: batch * 3 }, (_, i) => 100 * i);
        const r = await session.run({
          A: new ort.Tensor('int32', a, [batch, 3]),
          B: new ort.Tensor('int32', b, [batch, 3]),
        });
        const sum = out(r as Record<string, ort.Tensor>, 'SUM');
        assert.deepEqual(sum.dims, [batch, 3]);
        assert.deepEqual(
          Array.from(sum.data as Int32Array),
          Array.from(a, (v, i) => v + (b[i] ?? 0)),
        );
      }
      assert.deepEqual(session.inputNames, ['A', 'B']);
    } finally {
      await session.release();
    }
    const decoded = onnx.ModelProto.decode(bytes);
    const dim0 = decoded.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.[0];
    assert.equal(dim0?.dimParam, 'batch');
  });

  const feedsFor: Record<Exclude<OnnxElemType, 'bfloat16'>, () => ort.Tensor> = {
    float32: () => new ort.Tensor('float32', Float32Array.from([1.5, -2, 3.25, 0]), [2, 2]),
    float16: () => new ort.Tensor('float16', Uint16Array.from([1, -2, 0.5, 65504].map(numberToFloat16Bits)), [2, 2]),
    float64: () => new ort.Tensor('float64', Float64Array.from([Math.PI, -1e300, 0, 1]), [2, 2]),
    int8: () => new ort.Tensor('int8', Int8Array.from([-128, 127, 0, 5]), [2, 2]),
    int16: () => new ort.Tensor('int16', Int16Array.from([-32768, 32767, 0, 5]), [2, 2]),
    int32: () => new ort.Tensor('int32', Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 5]), [2, 2]),
    int64: () => new ort.Tensor('int64', BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, 5n]), [2, 2]),
    uint8: () => new ort.Tensor('uint8', Uint8Array.from([0, 255, 1, 2]), [2, 2]),
    uint16: () => new ort.Tensor('uint16', Uint16Array.from([0, 65535, 1, 2]), [2, 2]),
    uint32: () => new ort.Tensor('uint32', Uint32Array.from([0, 2 ** 32 - 1, 1, 2]), [2, 2]),
    uint64: () => new ort.Tensor('uint64', BigUint64Array.from([0n, 2n ** 64n - 1n, 1n, 2n]), [2, 2]),
    bool: () => new ort.Tensor('bool', Uint8Array.from([1, 0, 0, 1]), [2, 2]),
    string: () => new ort.Tensor('string', ['a', '', 'héllo', 'z'], [2, 2]),
  };

  for (const [type, make] of Object.entries(feedsFor) as [Exclude<OnnxElemType, 'bfloat16'>, () => ort.Tensor][]) {
    test(`Identity passes a ${type} tensor through unchanged`, async () => {
      const bytes = new GraphBuilder(`identity_${type}`)
        .input({ name: 'X', type, shape: ['batch', 2] })
        .output({ name: 'Y', type, shape: ['batch', 2] })
        .node('Identity', ['X'], ['Y'])
        .toBytes();
      const x = make();
      const y = out(await run(bytes, { X: x }), 'Y');
      assert.equal(y.type, x.type);
      assert.deepEqual(y.dims, [2, 2]);
      // Compare float16 by bit pattern: runtimes with a global Float16Array hand back values, not bits.
      const view = (d: ort.Tensor['data']): unknown[] =>
        type === 'float16' && ArrayBuffer.isView(d)
          ? Array.from(new Uint16Array(d.buffer, d.byteOffset, d.byteLength / 2))
          : Array.from(d as ArrayLike<unknown>);
      assert.deepEqual(view(y.data), view(x.data));
    });
  }

  test('bfloat16 and float16 initializers decode to the expected values (via Cast to float32)', async () => {
    const values = [1, -2.5, 0.1, 3e4];
    const bytes = new GraphBuilder('half_consts')
      .output({ name: 'H', type: 'float32', shape: [4] })
      .output({ name: 'BF', type: 'float32', shape: [4] })
      .initializer('h', 'float16', [4], values)
      .initializer('bf', 'bfloat16', [4], values)
      .node('Identity', ['bf'], ['bf_id'])
      .node('Cast', ['h'], ['H'], { to: onnx.TensorProto.DataType.FLOAT })
      .node('Cast', ['bf_id'], ['BF'], { to: onnx.TensorProto.DataType.FLOAT })
      .toBytes();
    const r = await run(bytes, {});
    const h = Array.from(out(r, 'H').data as Float32Array);
    const bf = Array.from(out(r, 'BF').data as Float32Array);
    assert.deepEqual(
      h,
      values.map((v) => float16BitsToNumber(numberToFloat16Bits(v))),
    );
    assert.equal(h[0], 1);
    assert.equal(h[1], -2.5);
    assert.ok(Math.abs((h[2] ?? 0) - 0.1) < 1e-4);
    const bfExpected = values.map((v) => new Float32Array(new Uint32Array([numberToBfloat16Bits(v) << 16]).buffer)[0]);
    assert.deepEqual(bf, bfExpected);
    assert.equal(bf[1], -2.5);
  });

  test('initializer-based MatMul + Add with FLOAT attribute ops computes x·W + b', async () => {
    // W is 3x2, b is 2; LeakyRelu alpha forced to FLOAT via { float }.
    const W = [1, 2, 3, 4, 5, 6];
    const b = [0.5, -100];
    const bytes = new GraphBuilder('matmul', { docString: 'test' })
      .input({ name: 'X', type: 'float32', shape: ['batch', 3] })
      .output({ name: 'Y', type: 'float32', shape: ['batch', 2] })
      .initializer('W', 'float32', [3, 2], W)
      .initializer('b', 'float32', [2], b)
      .node('MatMul', ['X', 'W'], ['xw'])
      .node('Add', ['xw', 'b'], ['z'])
      .node('LeakyRelu', ['z'], ['Y'], { alpha: { float: 1 } })
      .toBytes();
    const x = Float32Array.from([1, 0, 0, 1, 1, 1]);
    const y = out(await run(bytes, { X: new ort.Tensor('float32', x, [2, 3]) }), 'Y');
    assert.deepEqual(y.dims, [2, 2]);
    assert.deepEqual(Array.from(y.data as Float32Array), [1.5, -98, 9.5, -88]);
  });

  test('attribute values map to the ONNX attribute types', () => {
    const AT = onnx.AttributeProto.AttributeType;
    const bytes = new GraphBuilder('attr_types')
      .input({ name: 'X', type: 'float32', shape: [1] })
      .output({ name: 'Y', type: 'float32', shape: [1] })
      .node('Identity', ['X'], ['Y'], {
        i: 3,
        f: 0.5,
        ff: { float: 2 },
        s: 'SAME_UPPER',
        is: [1, -1],
        fs: [0.5, 1],
        ffs: { floats: [1, 2] },
        ss: ['a', 'b'],
      })
      .toBytes();
    const attrs = onnx.ModelProto.decode(bytes).graph?.node?.[0]?.attribute ?? [];
    assert.deepEqual(
      attrs.map((a) => [a.name, a.type]),
      [
        ['i', AT.INT],
        ['f', AT.FLOAT],
        ['ff', AT.FLOAT],
        ['s', AT.STRING],
        ['is', AT.INTS],
        ['fs', AT.FLOATS],
        ['ffs', AT.FLOATS],
        ['ss', AT.STRINGS],
      ],
    );
    assert.equal(Buffer.from(attrs[3]?.s ?? []).toString(), 'SAME_UPPER');
    assert.deepEqual(attrs[4]?.ints?.map(Number), [1, -1]);
  });

  test('integer list and tensor attributes reach the runtime', async () => {
    const bytes = new GraphBuilder('attrs')
      .input({ name: 'X', type: 'float32', shape: [2, 3] })
      .output({ name: 'T', type: 'float32', shape: [3, 2] })
      .output({ name: 'C', type: 'int64', shape: [2] })
      .output({ name: 'S', type: 'float32', shape: [3, 2] })
      .node('Transpose', ['X'], ['T'], { perm: [1, 0] })
      .node('Constant', [], ['C'], { value: { tensor: { type: 'int64', dims: [2], data: [7n, -1n] } } })
      .node('Mul', ['T', 'k'], ['S'])
      .initializer('k', 'float32', [], [0.5])
      .toBytes();
    const r = await run(bytes, { X: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
    assert.deepEqual(Array.from(out(r, 'T').data as Float32Array), [1, 4, 2, 5, 3, 6]);
    assert.deepEqual(Array.from(out(r, 'C').data as BigInt64Array), [7n, -1n]);
    assert.deepEqual(Array.from(out(r, 'S').data as Float32Array), [0.5, 2, 1, 2.5, 1.5, 3]);
  });

  test('an external initializer is read by ONNX Runtime from the file beside the model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onnx-gen-external-'));
    try {
      await writeFile(join(dir, 'model.onnx'), addExternalWeightsOnnx('weights.bin', 3));
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(new Float32Array([10, 20, 30]).buffer));
      const decoded = onnx.ModelProto.decode(await readFile(join(dir, 'model.onnx')));
      const w = decoded.graph!.initializer![0]!;
      assert.equal(w.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
      assert.deepEqual(
        w.externalData!.map((e) => [e.key, e.value]),
        [['location', 'weights.bin']],
      );
      const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
      try {
        const r = await session.run({ IN: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]) });
        assert.deepEqual([...(out(r as Record<string, ort.Tensor>, 'OUT').data as Float32Array)], [11, 22, 33]);
      } finally {
        await session.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('two identical builds serialize to identical bytes; a different weight changes them', () => {
    const build = (w0: number): Uint8Array =>
      new GraphBuilder('det', { producer: 'p' })
        .input({ name: 'X', type: 'float32', shape: ['batch', 2] })
        .output({ name: 'Y', type: 'float32', shape: ['batch', 2] })
        .initializer('W', 'float32', [2, 2], [w0, 0, 0, 1])
        .node('MatMul', ['X', 'W'], ['Y'], {}, 'mm')
        .toBytes();
    assert.deepEqual(build(1), build(1));
    assert.notDeepEqual(build(1), build(2));
  });

  test('rejects wrong value counts, duplicate names and unproduced outputs', () => {
    assert.throws(() => new GraphBuilder('g').initializer('W', 'float32', [2, 2], [1, 2, 3]), /4 expected/);
    assert.throws(
      () => new GraphBuilder('g').input({ name: 'X', type: 'int32', shape: [1] }).initializer('X', 'int32', [1], [1]),
      /already defined/,
    );
    assert.throws(
      () => new GraphBuilder('g').output({ name: 'Y', type: 'int32', shape: [1] }).toBytes(),
      /never produced/,
    );
  });
});
