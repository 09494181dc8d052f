import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBytesElements, viewAs, type DataType } from '@tensorgate/protocol';
import { parseJsonPath, readJsonPath } from './json-path.js';
import type { InputMapping } from './route-types.js';
import { GatewayRequestError, mapInputs, toTensor } from './tensor-mapping.js';

const input = (over: Partial<InputMapping> & Pick<InputMapping, 'datatype'>): InputMapping => ({
  name: 'X',
  valueIsDefault: false,
  optional: false,
  ...over,
});

const rejects = (fn: () => unknown, message: RegExp): void =>
  assert.throws(fn, (err: unknown) => err instanceof GatewayRequestError && message.test(err.message));

describe('JSON paths', () => {
  test('parse and read', () => {
    assert.deepEqual(parseJsonPath('$'), []);
    assert.deepEqual(parseJsonPath('$.messages[0].content'), ['messages', 0, 'content']);
    const body = { messages: [{ content: 'hi' }], n: null };
    assert.equal(readJsonPath(body, ['messages', 0, 'content']), 'hi');
    assert.equal(readJsonPath(body, ['messages', 1, 'content']), undefined);
    assert.equal(readJsonPath(body, ['n']), null);
    assert.equal(readJsonPath(body, ['constructor']), undefined);
    assert.equal(readJsonPath('text', ['a']), undefined);
    assert.equal(readJsonPath(body, []), body);
  });
});

describe('JSON → tensor', () => {
  test('every numeric datatype encodes, and checks ranges', () => {
    const cases: [DataType, unknown[], unknown[]][] = [
      ['INT8', [-128, 127], [-128, 127]],
      ['INT16', [-32768, 5], [-32768, 5]],
      ['INT32', [-2147483648, 7], [-2147483648, 7]],
      ['UINT8', [0, 255], [0, 255]],
      ['UINT16', [65535, 1], [65535, 1]],
      ['UINT32', [4294967295, 0], [4294967295, 0]],
      ['FP32', [1.5, -2], [1.5, -2]],
      ['FP64', [0.1, 1e300], [0.1, 1e300]],
    ];
    for (const [datatype, values, expected] of cases) {
      const t = toTensor({ name: 'X', datatype }, values, 'field');
      assert.deepEqual(t.shape, [2]);
      assert.deepEqual(Array.from(viewAs(datatype, t.raw) as ArrayLike<number>), expected, datatype);
    }
    rejects(
      () => toTensor({ name: 'X', datatype: 'UINT8' }, [256], "field '$.a'"),
      /^field '\$\.a': element 0: 256 is out of range for UINT8/,
    );
    rejects(
      () => toTensor({ name: 'X', datatype: 'INT32' }, [1, 2.5], 'f'),
      /element 1: expected an integer for INT32/,
    );
    rejects(
      () => toTensor({ name: 'X', datatype: 'FP32' }, [1, 'a'], 'f'),
      /element 1: expected a number for FP32, got string/,
    );
  });

  test('INT64/UINT64 take numbers and decimal strings without losing digits', () => {
    const t = toTensor({ name: 'X', datatype: 'INT64' }, [1, '-9223372036854775808'], 'f');
    assert.deepEqual(Array.from(viewAs('INT64', t.raw) as BigInt64Array), [1n, -9223372036854775808n]);
    assert.deepEqual(t.values, [1n, -9223372036854775808n]);
    const u = toTensor({ name: 'X', datatype: 'UINT64' }, ['18446744073709551615'], 'f');
    assert.deepEqual(Array.from(viewAs('UINT64', u.raw) as BigUint64Array), [18446744073709551615n]);
    rejects(() => toTensor({ name: 'X', datatype: 'UINT64' }, [-1], 'f'), /out of range for UINT64/);
    rejects(() => toTensor({ name: 'X', datatype: 'INT64' }, ['1.5'], 'f'), /expected an integer for INT64/);
  });

  test('FP16 and BF16 are converted from numbers', () => {
    const h = toTensor({ name: 'X', datatype: 'FP16' }, [1, -2], 'f');
    assert.deepEqual(Array.from(viewAs('FP16', h.raw) as Uint16Array), [0x3c00, 0xc000]);
    const b = toTensor({ name: 'X', datatype: 'BF16' }, [1], 'f');
    assert.deepEqual(Array.from(viewAs('BF16', b.raw) as Uint16Array), [0x3f80]);
  });

  test('BOOL takes booleans and 0/1', () => {
    const t = toTensor({ name: 'X', datatype: 'BOOL' }, [true, false, 1], 'f');
    assert.deepEqual(Array.from(t.raw), [1, 0, 1]);
    rejects(() => toTensor({ name: 'X', datatype: 'BOOL' }, ['yes'], 'f'), /expected a boolean for BOOL/);
  });

  test('BYTES: strings as they are, other values as JSON text', () => {
    const t = toTensor({ name: 'X', datatype: 'BYTES', shape: [-1] }, ['héllo', { max_tokens: 3 }, 7], 'f');
    const text = decodeBytesElements(t.raw).map((b) => Buffer.from(b).toString('utf8'));
    assert.deepEqual(text, ['héllo', '{"max_tokens":3}', '7']);
    assert.deepEqual(t.shape, [3]);
    const single = toTensor({ name: 'X', datatype: 'BYTES', shape: [1] }, { a: [1, 2] }, 'f');
    assert.deepEqual(single.values, ['{"a":[1,2]}']);
  });

  test('shapes: nested arrays are flattened; one -1 is inferred', () => {
    const series = Array.from({ length: 10 }, (_, i) => i / 10);
    const one = toTensor({ name: 'X', datatype: 'FP32', shape: [-1, 10, 1] }, series, 'f');
    assert.deepEqual(one.shape, [1, 10, 1]);
    const two = toTensor({ name: 'X', datatype: 'FP32', shape: [-1, 10, 1] }, [series, series], 'f');
    assert.deepEqual(two.shape, [2, 10, 1]);
    assert.equal(two.values.length, 20);
    const middle = toTensor(
      { name: 'X', datatype: 'INT32', shape: [2, -1] },
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      'f',
    );
    assert.deepEqual(middle.shape, [2, 3]);
    assert.deepEqual(middle.values, [1, 2, 3, 4, 5, 6]);
    rejects(
      () => toTensor({ name: 'X', datatype: 'FP32', shape: [-1, 10, 1] }, [1, 2, 3], "field '$.series'"),
      /^field '\$\.series': 3 value\(s\) do not fill shape \[-1, 10, 1\] \(a multiple of 10 is needed\)$/,
    );
    rejects(() => toTensor({ name: 'X', datatype: 'FP32', shape: [-1] }, [], 'f'), /do not fill/);
    rejects(
      () => toTensor({ name: 'X', datatype: 'FP32', shape: [2, 2] }, [1, 2, 3], 'f'),
      /expected 4 value\(s\) for shape \[2, 2\], got 3/,
    );
  });

  test('shapes: without a shape the nesting decides; ragged lists need one', () => {
    assert.deepEqual(
      toTensor(
        { name: 'X', datatype: 'INT32' },
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        'f',
      ).shape,
      [3, 2],
    );
    assert.deepEqual(toTensor({ name: 'X', datatype: 'INT32' }, 5, 'f').shape, [1]);
    assert.deepEqual(toTensor({ name: 'X', datatype: 'INT32' }, [], 'f').shape, [0]);
    rejects(() => toTensor({ name: 'X', datatype: 'INT32' }, [[1, 2], [3]], 'f'), /rows of different lengths/);
    assert.deepEqual(toTensor({ name: 'X', datatype: 'INT32', shape: [3] }, [[1, 2], [3]], 'f').values, [1, 2, 3]);
    rejects(() => toTensor({ name: 'X', datatype: 'INT32' }, [1, null], 'f'), /expected a value, got null/);
  });

  test('mapInputs: fields, constants, defaults, optional inputs, missing fields', () => {
    const route = {
      inputs: [
        input({ name: 'TEXT', datatype: 'BYTES', shape: [1], from: ['prompt'], fromText: '$.prompt' }),
        input({ name: 'STREAM', datatype: 'BOOL', shape: [1], value: true }),
        input({
          name: 'PARAMS',
          datatype: 'BYTES',
          shape: [1],
          from: ['parameters'],
          fromText: '$.parameters',
          value: {},
          valueIsDefault: true,
        }),
        input({ name: 'SEED', datatype: 'INT64', shape: [1], from: ['seed'], fromText: '$.seed', optional: true }),
      ],
    };
    const a = mapInputs(route, { prompt: 'hi' });
    assert.deepEqual(
      a.map((t) => [t.name, t.values]),
      [
        ['TEXT', ['hi']],
        ['STREAM', [true]],
        ['PARAMS', ['{}']],
      ],
    );
    const b = mapInputs(route, { prompt: 'hi', parameters: { t: 1 }, seed: 3 });
    assert.deepEqual(
      b.map((t) => [t.name, t.values]),
      [
        ['TEXT', ['hi']],
        ['STREAM', [true]],
        ['PARAMS', ['{"t":1}']],
        ['SEED', [3n]],
      ],
    );
    rejects(() => mapInputs(route, {}), /^missing required field '\$\.prompt'$/);
    rejects(() => mapInputs(route, [1, 2]), /^missing required field '\$\.prompt'$/);
    rejects(
      () => mapInputs(route, { prompt: 'x', seed: 'soon' }),
      /^field '\$\.seed': element 0: expected an integer for INT64/,
    );
  });
});
