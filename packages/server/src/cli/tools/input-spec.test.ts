import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputSpecError, parseInputSpecs, parseScalar, parseShape } from './input-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-input-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function npyInt32(values: number[]): Uint8Array {
  const dict = `{'descr': '<i4', 'fortran_order': False, 'shape': (${values.length},), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + values.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(Int32Array.from(values).buffer), total);
  return out;
}

describe('parseInputSpecs', () => {
  test('NAME:DTYPE:SHAPE:DATA with comma-separated values', () => {
    const [t] = parseInputSpecs(['INPUT0:INT32:1,4:1,2,3,4'], dir);
    assert.deepEqual(t, { name: 'INPUT0', datatype: 'INT32', shape: [1, 4], values: [1, 2, 3, 4] });
  });

  test('shape in brackets, nested JSON data flattened row-major, lower-case datatype', () => {
    const [t] = parseInputSpecs(['x:fp32:[2,2]:[[1.5,2],[3,4]]'], dir);
    assert.equal(t!.datatype, 'FP32');
    assert.deepEqual(t!.shape, [2, 2]);
    assert.deepEqual(t!.values, [1.5, 2, 3, 4]);
  });

  test('BYTES keeps colons and spaces in the data; STRING is an alias', () => {
    const [t] = parseInputSpecs(['s:STRING:2:a:b, c'], dir);
    assert.equal(t!.datatype, 'BYTES');
    assert.deepEqual(t!.values, ['a:b', ' c']);
    const [j] = parseInputSpecs(['s:BYTES:2:["x,y","z"]'], dir);
    assert.deepEqual(j!.values, ['x,y', 'z']);
  });

  test('a scalar has an empty shape', () => {
    const [t] = parseInputSpecs(['n:INT64::5'], dir);
    assert.deepEqual(t!.shape, []);
    assert.deepEqual(t!.values, [5]);
  });

  test('@file.json data and a whole KServe request file', () => {
    writeFileSync(join(dir, 'v.json'), '[[1,2],[3,4]]');
    const [t] = parseInputSpecs(['a:INT32:2,2:@v.json'], dir);
    assert.deepEqual(t!.values, [1, 2, 3, 4]);
    writeFileSync(
      join(dir, 'req.json'),
      JSON.stringify({
        inputs: [
          { name: 'A', datatype: 'INT32', shape: [1, 2], data: [1, 2] },
          { name: 'B', datatype: 'BOOL', shape: [2], data: [true, false] },
        ],
      }),
    );
    const both = parseInputSpecs(['@req.json'], dir);
    assert.deepEqual(
      both.map((x) => [x.name, x.datatype, x.values]),
      [
        ['A', 'INT32', [1, 2]],
        ['B', 'BOOL', [true, false]],
      ],
    );
  });

  test('@file.npy in both forms', () => {
    writeFileSync(join(dir, 'a.npy'), npyInt32([7, 8, 9]));
    const [short] = parseInputSpecs(['IN:@a.npy'], dir);
    assert.equal(short!.datatype, 'INT32');
    assert.deepEqual(short!.shape, [3]);
    assert.deepEqual(Array.from(short!.values as Int32Array), [7, 8, 9]);
    const [full] = parseInputSpecs(['IN:INT32:1,3:@a.npy'], dir);
    assert.deepEqual(full!.shape, [1, 3]);
    assert.throws(() => parseInputSpecs(['IN:FP32:3:@a.npy'], dir), /holds INT32, not FP32/);
  });

  test('64-bit integers beyond 2^53 stay exact', () => {
    const [t] = parseInputSpecs(['big:INT64:2:1,9007199254740993'], dir);
    assert.deepEqual(t!.values, [1, 9007199254740993n]);
  });

  test('errors name the argument and the problem', () => {
    assert.throws(
      () => parseInputSpecs(['A:INT32:1,4:1,2,3'], dir),
      /--input A:INT32:1,4:1,2,3: A: shape \[1,4\] needs 4 value\(s\), got 3/,
    );
    assert.throws(() => parseInputSpecs(['A:INT33:1:1'], dir), /unknown datatype "INT33"/);
    assert.throws(() => parseInputSpecs(['A:INT8:1:300'], dir), /out of range for INT8/);
    assert.throws(() => parseInputSpecs(['A:INT32:1:1.5'], dir), /"1.5" is not an integer/);
    assert.throws(() => parseInputSpecs(['A:INT32:x:1'], dir), /bad dimension "x"/);
    assert.throws(() => parseInputSpecs(['A:INT32'], dir), /expected NAME:DTYPE:SHAPE:DATA/);
    assert.throws(() => parseInputSpecs(['A:INT32:1:1', 'A:INT32:1:2'], dir), /given more than once/);
    assert.throws(() => parseInputSpecs(['@missing.json'], dir), InputSpecError);
  });
});

describe('parseScalar and parseShape', () => {
  test('booleans, floats and specials', () => {
    assert.equal(parseScalar('true', 'BOOL'), true);
    assert.equal(parseScalar('0', 'BOOL'), false);
    assert.throws(() => parseScalar('maybe', 'BOOL'), /not a BOOL/);
    assert.equal(parseScalar('-inf', 'FP32'), -Infinity);
    assert.ok(Number.isNaN(parseScalar('nan', 'FP64')));
    assert.throws(() => parseScalar('abc', 'FP32'), /not a number/);
  });

  test('shapes', () => {
    assert.deepEqual(parseShape('1, 16'), [1, 16]);
    assert.deepEqual(parseShape('[]'), []);
    assert.throws(() => parseShape('1,-1'), /bad dimension/);
  });
});
