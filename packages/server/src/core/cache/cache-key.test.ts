import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheKey, uncacheableReason } from './cache-key.js';
import type { InferRequest, Tensor } from '../types.js';
import type { ValidatedRequest } from '../validate-request.js';

const t = (name: string, data: number[], shape = [data.length], datatype: Tensor['datatype'] = 'UINT8'): Tensor => ({
  name,
  datatype,
  shape,
  data: Uint8Array.from(data),
});

function key(
  inputs: Tensor[],
  opts: { params?: InferRequest['parameters']; outputs?: string[]; model?: string; version?: string } = {},
): string {
  const request: InferRequest = {
    modelName: 'm',
    modelVersion: '',
    id: 'any',
    inputs,
    outputs: [],
    parameters: opts.params ?? {},
  };
  const validated: ValidatedRequest = { inputs, requestedOutputs: opts.outputs ?? ['OUT'], batchSize: 1 };
  return cacheKey(opts.model ?? 'm', opts.version ?? '1', request, validated);
}

test('the key is a SHA-256 of a canonical request: input order does not matter, the request id does not count', () => {
  const a = key([t('A', [1, 2]), t('B', [3])]);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(key([t('B', [3]), t('A', [1, 2])]), a);
});

test('model, version, bytes, shape, datatype, names, outputs and parameters all change the key', () => {
  const base = key([t('A', [1, 2])]);
  const others = [
    key([t('A', [1, 2])], { model: 'n' }),
    key([t('A', [1, 2])], { version: '2' }),
    key([t('A', [1, 3])]),
    key([t('A', [1, 2], [1, 2])]),
    key([t('A', [1, 2], [2], 'INT8')]),
    key([t('B', [1, 2])]),
    key([t('A', [1, 2])], { outputs: ['OTHER'] }),
    key([t('A', [1, 2])], { params: { temperature: 1 } }),
    key([t('A', [1, 2])], { params: { temperature: '1' } }),
  ];
  for (const k of others) assert.notEqual(k, base);
  assert.equal(new Set(others).size, others.length);
});

test('scheduling parameters do not change the key', () => {
  assert.equal(key([t('A', [1])], { params: { priority: 3, timeout: 100 } }), key([t('A', [1])]));
});

test('sequence requests are not cached', () => {
  const r = (parameters: InferRequest['parameters']): InferRequest => ({
    modelName: 'm',
    modelVersion: '',
    id: '',
    inputs: [],
    outputs: [],
    parameters,
  });
  assert.equal(uncacheableReason(r({})), undefined);
  assert.equal(uncacheableReason(r({ sequence_id: 0 })), undefined);
  assert.equal(uncacheableReason(r({ sequence_id: 7 })), 'a sequence request');
  assert.equal(uncacheableReason(r({ sequence_id: 'abc' })), 'a sequence request');
});
