import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveTarget } from './connection.js';
import { formatValues } from './tensor-print.js';

describe('resolveTarget', () => {
  test('HTTP gets a scheme and loses a trailing slash', () => {
    assert.equal(resolveTarget('http', undefined), 'http://localhost:8000');
    assert.equal(resolveTarget('http', 'h:9000/'), 'http://h:9000');
    assert.equal(resolveTarget('http', 'https://h:443'), 'https://h:443');
  });
  test('gRPC is host:port', () => {
    assert.equal(resolveTarget('grpc', undefined), 'localhost:8001');
    assert.equal(resolveTarget('grpc', 'grpc://h:9001'), 'h:9001');
    assert.equal(resolveTarget('grpc', 'http://h:9001/x'), 'h:9001');
  });
});

describe('formatValues', () => {
  test('short tensors in full, long ones cut with a count', () => {
    assert.equal(formatValues([1, 2, 3], 3), '[1, 2, 3]');
    assert.equal(formatValues([1, 2, 3, 4], 2), '[1, 2, …] (2 more, 4 values)');
    assert.equal(formatValues([1, 2, 3, 4], 0), '[1, 2, 3, 4]');
    assert.equal(formatValues(['a b', 'c,d', true] as const, 5), '["a b", "c,d", true]');
  });
});
