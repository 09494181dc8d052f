import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A model folder `<tmp>/llm` with a version folder `1`. */
let modelPath: string;
let versionPath: string;
before(async () => {
  modelPath = join(await realpath(await mkdtemp(join(tmpdir(), 'tg-llm-settings-'))), 'llm');
  versionPath = join(modelPath, '1');
  await mkdir(versionPath, { recursive: true });
});
after(() => rm(join(modelPath, '..'), { recursive: true, force: true }));
const paths = () => ({ modelPath, versionPath });

test('defaults: model.gguf, threads cores-1 (at least 1), 4 sequences, queue 64, CPU', async () => {
  const s = await readLlmSettings(config({}), paths(), 2);
  assert.deepEqual(s, {
    modelFile: join(versionPath, 'model.gguf'),
    contextSize: undefined,
    threads: 1,
    batchSize: undefined,
    maxParallelSequences: 4,
    maxQueueSize: 64,
    gpuLayers: 0,
    streamIntervalMs: 0,
  });
  assert.equal(defaultThreads(1), 1);
  assert.equal(defaultThreads(8), 7);
  assert.equal((await readLlmSettings(config({}, 'x.gguf'), paths(), 2)).modelFile, join(versionPath, 'x.gguf'));
});

test('values and errors', async () => {
  const s = await readLlmSettings(
    config({
      model_file: 'q4.gguf',
      context_size: '2048',
      threads: '3',
      batch_size: '256',
      max_parallel_sequences: '2',
      max_queue_size: '0',
      gpu_layers: '99',
      stream_interval_ms: '5',
    }),
    paths(),
  );
  assert.equal(s.modelFile, join(versionPath, 'q4.gguf'));
  assert.deepEqual(
    [s.contextSize, s.threads, s.batchSize, s.maxParallelSequences, s.maxQueueSize, s.gpuLayers, s.streamIntervalMs],
    [2048, 3, 256, 2, 0, 99, 5],
  );
  const bad = (p: Record<string, string>, re: RegExp, defaultFile = ''): Promise<void> =>
    assert.rejects(
      readLlmSettings(config(p, defaultFile), paths()),
      (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && re.test(e.message),
    );
  await bad({ threads: '0' }, /parameter 'threads' must be an integer >= 1, got '0'/);
  await bad({ stream_interval_ms: '-1' }, /'stream_interval_ms' must be an integer >= 0/);
  await bad({ max_parallel_sequences: 'four' }, /'max_parallel_sequences' must be an integer >= 1/);
  await bad({ context_size: '8' }, /'context_size' must be an integer >= 16/);
  const outside = (name: string, field: string) =>
    new RegExp(`^${field} '${name}' of model 'llm' resolves outside the model folder '${modelPath}'$`);
  await bad({ model_file: '../../etc/passwd' }, outside('../../etc/passwd', "parameter 'model_file'"));
  await bad({ model_file: '/abs.gguf' }, outside('/abs.gguf', "parameter 'model_file'"));
  await bad({}, outside('../../x.gguf', 'default_model_filename'), '../../x.gguf');
  await symlink('/etc/hostname', join(versionPath, 'link.gguf'));
  await bad({ model_file: 'link.gguf' }, outside('link.gguf', "parameter 'model_file'"));
  // Beside the version folder but inside the model folder (a GGUF shared by versions) is fine.
  assert.equal(
    (await readLlmSettings(config({ model_file: '../shared.gguf' }), paths())).modelFile,
    join(modelPath, 'shared.gguf'),
  );
});
