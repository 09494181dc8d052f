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
