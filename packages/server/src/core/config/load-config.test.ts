import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceError } from '../errors.js';
import { readModelConfig } from './load-config.js';

describe('readModelConfig', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("--model-config-name: configs/<name>.pbtxt where it exists, else config.pbtxt (Triton's examples)", async () => {
    const a = join(dir, 'model_a');
    const b = join(dir, 'model_b');
    await mkdir(join(a, 'configs'), { recursive: true });
    await mkdir(join(b, 'configs'), { recursive: true });
    await writeFile(join(a, 'config.pbtxt'), 'max_batch_size: 1');
    await writeFile(join(a, 'configs', 'h100.pbtxt'), 'max_batch_size: 100');
    await writeFile(join(a, 'configs', 'v100.pbtxt'), 'max_batch_size: 2');
    await writeFile(join(b, 'config.pbtxt'), 'max_batch_size: 3');
    await writeFile(join(b, 'configs', 'v100.pbtxt'), 'max_batch_size: 4');
    assert.equal((await readModelConfig(a, 'model_a', 'h100'))?.['max_batch_size'], 100);
    assert.equal((await readModelConfig(b, 'model_b', 'h100'))?.['max_batch_size'], 3);
    assert.equal((await readModelConfig(a, 'model_a'))?.['max_batch_size'], 1);
  });

  test('reads and parses config.pbtxt', async () => {
    const m = join(dir, 'good');
    await mkdir(m);
    await writeFile(join(m, 'config.pbtxt'), 'backend: "python"\nmax_batch_size: 2\n');
    assert.deepEqual(await readModelConfig(m, 'good'), { backend: 'python', max_batch_size: 2 });
  });

  test('returns undefined when there is no config.pbtxt', async () => {
    const m = join(dir, 'none');
    await mkdir(m);
    assert.equal(await readModelConfig(m, 'none'), undefined);
  });

  test('errors carry the file path, line and column', async () => {
    const m = join(dir, 'bad');
    await mkdir(m);
    await writeFile(join(m, 'config.pbtxt'), 'backend: "python"\n  max_batch: 2\n');
    await assert.rejects(readModelConfig(m, 'bad'), (err: unknown) => {
      assert.ok(err instanceof InferenceError);
      assert.equal(err.code, 'INVALID_ARG');
      assert.equal(err.message, `${join(m, 'config.pbtxt')}:2:3: unknown field 'max_batch' in inference.ModelConfig`);
      return true;
    });
  });

  test('a config.pbtxt that is a directory is an INTERNAL error', async () => {
    const m = join(dir, 'weird');
    await mkdir(join(m, 'config.pbtxt'), { recursive: true });
    await assert.rejects(
      readModelConfig(m, 'weird'),
      (err: unknown) => err instanceof InferenceError && err.code === 'INTERNAL',
    );
  });
});
