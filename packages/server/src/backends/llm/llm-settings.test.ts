import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError } from '../../core/errors.js';
import { defaultThreads, readLlmSettings } from './llm-settings.js';

function config(parameters: Record<string, string>, defaultFile = ''): ModelConfig {
  return {
    name: 'llm',
    default_model_filename: defaultFile,
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { string_value: v }])),
  } as unknown as ModelConfig;
}

test('defaults: model.gguf, threads cores-1 (at least 1), 4 sequences, queue 64, CPU', () => {
  const s = readLlmSettings(config({}), '/repo/llm/1', 2);
  assert.deepEqual(s, {
    modelFile: '/repo/llm/1/model.gguf',
    contextSize: undefined,
    threads: 1,
    batchSize: undefined,
    maxParallelSequences: 4,
    maxQueueSize: 64,
    gpuLayers: 0,
  });
  assert.equal(defaultThreads(1), 1);
  assert.equal(defaultThreads(8), 7);
  assert.equal(readLlmSettings(config({}, 'x.gguf'), '/v', 2).modelFile, '/v/x.gguf');
});

test('values and errors', () => {
  const s = readLlmSettings(
    config({
      model_file: 'q4.gguf',
      context_size: '2048',
      threads: '3',
      batch_size: '256',
      max_parallel_sequences: '2',
      max_queue_size: '0',
      gpu_layers: '99',
    }),
    '/v',
  );
  assert.equal(s.modelFile, '/v/q4.gguf');
  assert.deepEqual(
    [s.contextSize, s.threads, s.batchSize, s.maxParallelSequences, s.maxQueueSize, s.gpuLayers],
    [2048, 3, 256, 2, 0, 99],
  );
  const bad = (p: Record<string, string>, re: RegExp): void =>
    assert.throws(
      () => readLlmSettings(config(p), '/v'),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && re.test(e.message),
    );
  bad({ threads: '0' }, /parameter 'threads' must be an integer >= 1, got '0'/);
  bad({ max_parallel_sequences: 'four' }, /'max_parallel_sequences' must be an integer >= 1/);
  bad({ context_size: '8' }, /'context_size' must be an integer >= 16/);
  bad({ model_file: '../../etc/passwd' }, /must name a file inside the version folder/);
  bad({ model_file: '/abs.gguf' }, /must name a file inside the version folder/);
});
