import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { modelConfigType } from './pbtxt-to-object.js';
import { fillProtoDefaults, jsonName, readProtoJson, writeProtoJson } from './proto-json.js';

const root = modelConfigType().root;
const outputType = root.lookupType('inference.ModelOutput');

describe('proto-json helpers', () => {
  test('jsonName follows protobuf lowerCamelCase', () => {
    assert.equal(jsonName('max_batch_size'), 'maxBatchSize');
    assert.equal(jsonName('int32_false_true'), 'int32FalseTrue');
    assert.equal(jsonName('name'), 'name');
  });

  test('fillProtoDefaults fills scalars, enums, lists and maps but not messages or oneof members', () => {
    assert.deepEqual(fillProtoDefaults({ name: 'o' }, outputType), {
      name: 'o',
      data_type: 'TYPE_INVALID',
      dims: [],
      label_filename: '',
      is_shape_tensor: false,
      is_non_linear_format_io: false,
    });
    const warm = fillProtoDefaults({ inputs: { x: {} } }, root.lookupType('inference.ModelWarmup'));
    assert.deepEqual(warm, {
      inputs: { x: { data_type: 'TYPE_INVALID', dims: [] } },
      name: '',
      batch_size: 0,
      count: 0,
    });
  });

  test('writeProtoJson prints int64 as strings unless the path is listed', () => {
    const out = writeProtoJson({ dims: [1, 2] }, outputType, 'X', new Set());
    assert.deepEqual(out['dims'], ['1', '2']);
    assert.deepEqual(writeProtoJson({ dims: [1, 2] }, outputType, 'X', new Set(['X::dims']))['dims'], [1, 2]);
  });

  test('readProtoJson rejects non-objects and wrong scalar kinds', () => {
    assert.throws(() => readProtoJson([], outputType, ''), /expected a JSON object for inference\.ModelOutput/);
    assert.throws(
      () => readProtoJson({ is_shape_tensor: 'yes' }, outputType, 'output[0]'),
      /output\[0\]\.is_shape_tensor: field 'is_shape_tensor' expects a boolean/,
    );
    assert.throws(() => readProtoJson({ dims: [1.5] }, outputType, ''), /expected an integer for int64, got 1.5/);
    assert.deepEqual(readProtoJson({ labelFilename: 'l.txt' }, outputType, ''), { label_filename: 'l.txt' });
  });
});
