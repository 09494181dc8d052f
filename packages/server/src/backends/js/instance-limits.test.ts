import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceError } from '../../core/errors.js';
import { DEFAULT_INSTANCE_LIMITS, readInstanceLimits } from './instance-limits.js';

const config = (parameters: Record<string, string>) => ({
  name: 'm',
  parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { string_value: v }])),
});

test('readInstanceLimits: defaults, accepted values, and refusals naming the parameter', () => {
  assert.deepEqual(readInstanceLimits(config({})), {
    executionTimeoutMs: 60_000,
    memoryLimitMb: 1024,
    initializeTimeoutMs: 600_000,
  });
  assert.equal(readInstanceLimits(config({ initialize_timeout_ms: '1500' })).initializeTimeoutMs, 1500);
  assert.equal(readInstanceLimits(config({ initialize_timeout_ms: '0' })).initializeTimeoutMs, 0);
  assert.deepEqual(readInstanceLimits(config({})), DEFAULT_INSTANCE_LIMITS);
  assert.deepEqual(
    readInstanceLimits(config({ execution_timeout_ms: '', memory_limit_mb: ' ' })),
    DEFAULT_INSTANCE_LIMITS,
  );
  assert.deepEqual(readInstanceLimits(config({ execution_timeout_ms: ' 2000 ', memory_limit_mb: '512' })), {
    executionTimeoutMs: 2000,
    memoryLimitMb: 512,
    initializeTimeoutMs: 600_000,
  });
  assert.deepEqual(readInstanceLimits(config({ execution_timeout_ms: '0', memory_limit_mb: '0' })), {
    executionTimeoutMs: 0,
    memoryLimitMb: 0,
    initializeTimeoutMs: 600_000,
  });
  assert.deepEqual(readInstanceLimits(config({ execution_timeout_ms: '86400000', memory_limit_mb: '64' })), {
    executionTimeoutMs: 86_400_000,
    memoryLimitMb: 64,
    initializeTimeoutMs: 600_000,
  });
  for (const [key, value] of [
    ['execution_timeout_ms', '2s'],
    ['execution_timeout_ms', '-1'],
    ['execution_timeout_ms', '1.5'],
    ['execution_timeout_ms', '1e3'],
    ['execution_timeout_ms', '86400001'],
    ['execution_timeout_ms', '99999999999999999999'],
    ['memory_limit_mb', '63'],
    ['memory_limit_mb', '1048577'],
    ['memory_limit_mb', 'lots'],
    ['memory_limit_mb', '0x100'],
    ['initialize_timeout_ms', '10s'],
    ['initialize_timeout_ms', '86400001'],
  ] as const) {
    assert.throws(
      () => readInstanceLimits(config({ [key]: value })),
      (e: unknown) =>
        e instanceof InferenceError &&
        e.code === 'INVALID_ARG' &&
        e.message.startsWith(`failed to load model 'm': parameter '${key}' must be `) &&
        e.message.endsWith(`got '${value}'`),
      `${key}=${value}`,
    );
  }
});
