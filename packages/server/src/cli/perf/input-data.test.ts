import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig, ModelMetadata } from '@tensorgate/client';
import { buildInputSets } from './input-data.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-perf-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// An LLM-shaped model: one required input, two optional ones.
const meta = {
  name: 'llm',
  versions: ['1'],
  platform: 'llm',
  inputs: [
    { name: 'text_input', datatype: 'BYTES', shape: [1] },
    { name: 'stream', datatype: 'BOOL', shape: [1] },
    { name: 'chat_messages', datatype: 'BYTES', shape: [1] },
  ],
  outputs: [{ name: 'text_output', datatype: 'BYTES', shape: [-1] }],
} as unknown as ModelMetadata;
const config = {
  max_batch_size: 0,
  input: [
    { name: 'text_input', optional: false },
    { name: 'stream', optional: true },
    { name: 'chat_messages', optional: true },
  ],
} as unknown as ModelConfig;
const opts = (file: string) => ({ inputData: file, batchSize: 1, shapes: [], stringLength: 8, seed: 1, cwd: dir });

describe('buildInputSets with --input-data FILE', () => {
  test('optional inputs may be left out of an entry; they are then not sent', () => {
    const file = join(dir, 'data.json');
    writeFileSync(file, JSON.stringify({ data: [{ text_input: ['Hello'], stream: [true] }, { text_input: ['Bye'] }] }));
    const sets = buildInputSets(meta, config, opts(file));
    assert.deepEqual(
      sets.map((set) => set.map((i) => i.name)),
      [['text_input', 'stream'], ['text_input']],
    );
  });

  test('a required input missing from an entry is an error naming it', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ data: [{ stream: [true] }] }));
    assert.throws(() => buildInputSets(meta, config, opts(file)), /data\[0\] lacks input text_input/);
  });
});

describe('buildInputSets with synthetic data', () => {
  test('random data leaves optional inputs out, except an LLM prompt', () => {
    const optionalText = {
      ...config,
      input: [
        { name: 'text_input', data_type: 'TYPE_STRING', optional: true },
        { name: 'stream', data_type: 'TYPE_BOOL', optional: true },
        { name: 'chat_messages', data_type: 'TYPE_STRING', optional: true },
      ],
    } as unknown as ModelConfig;
    const llm = {
      ...optionalText,
      model_transaction_policy: { decoupled: true },
      output: [{ name: 'text_output', data_type: 'TYPE_STRING' }],
    } as unknown as ModelConfig;
    const names = (c: ModelConfig) => buildInputSets(meta, c, opts('random')).map((set) => set.map((i) => i.name));
    assert.deepEqual(names(llm), [['text_input']]);
    assert.deepEqual(names(optionalText), [[]]);
    assert.deepEqual(names(config), [['text_input']]);
  });

  test('a 3x224x224 image input, batched 4, builds without overflowing the stack', () => {
    const image = {
      name: 'image_classifier',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1000] }],
    } as unknown as ModelMetadata;
    const cfg = { max_batch_size: 32, input: [{ name: 'input' }] } as unknown as ModelConfig;
    for (const batchSize of [1, 4]) {
      const [set] = buildInputSets(image, cfg, { ...opts('random'), batchSize });
      const input = set![0]!;
      assert.deepEqual(input.shape, [batchSize, 3, 224, 224]);
      assert.equal(input.raw.byteLength, batchSize * 3 * 224 * 224 * 4);
    }
  });
});
