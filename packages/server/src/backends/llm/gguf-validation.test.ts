import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufValueType, kv, tinyLlamaGguf, tinyLlamaParts, writeGguf, type TinyLlamaParts } from '@tensorgate/gguf-gen';
import { readGgufFileInfo } from 'node-llama-cpp';
import { InferenceError } from '../../core/errors.js';
import { validateGgufFile } from './gguf-validation.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-gguf-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function file(bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, `m${n++}.gguf`);
  await writeFile(path, bytes);
  return path;
}

function mutated(change: (p: TinyLlamaParts) => void): Uint8Array {
  const p = tinyLlamaParts();
  change(p);
  return writeGguf({ metadata: p.metadata, tensors: p.tensors });
}

function setValue(p: TinyLlamaParts, key: string, value: unknown[]): void {
  p.metadata = p.metadata.map(([k, v]) =>
    k === key && v.type === GgufValueType.ARRAY ? [k, kv.arr(v.itemType, value as string[])] : [k, v],
  );
}

async function rejects(bytes: Uint8Array | string, message: RegExp): Promise<void> {
  await assert.rejects(validateGgufFile(await file(bytes)), (e: unknown) => {
    assert.ok(e instanceof InferenceError);
    assert.equal(e.code, 'INVALID_ARG');
    assert.match(e.message, message);
    return true;
  });
}

describe('GGUF round trip: our writer, node-llama-cpp’s header reader', () => {
  test('metadata and tensor infos read back as written', async () => {
    const parts = tinyLlamaParts();
    const info = await readGgufFileInfo(await file(tinyLlamaGguf()), { sourceType: 'filesystem', logWarnings: false });
    assert.equal(info.version, 3);
    assert.equal(info.metadata.general.architecture, 'llama');
    assert.deepEqual(info.metadata.tokenizer.ggml.tokens, parts.vocab.tokens);
    assert.equal(
      info.metadata.tokenizer.chat_template,
      parts.metadata.find(([k]) => k === 'tokenizer.chat_template')?.[1].value,
    );
    assert.deepEqual(
      info.tensorInfo?.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType]),
      parts.tensors.map((t) => [t.name, [...t.dims], t.type]),
    );
  });

  test('the example model passes validation', async () => {
    const summary = await validateGgufFile(await file(tinyLlamaGguf()));
    assert.deepEqual(
      { ...summary },
      {
        architecture: 'llama',
        tokenizer: 'llama',
        vocabularySize: 356,
        tensorCount: 21,
        trainContextSize: 1024,
        chatTemplate: true,
      },
    );
  });
});

describe('validateGgufFile rejects files that would fail or abort llama.cpp', () => {
  test('missing, too short, not GGUF', async () => {
    await assert.rejects(validateGgufFile(join(dir, 'nope.gguf')), /cannot be read/);
    await rejects('GGUF', /too short for a GGUF header/);
    await rejects('x'.repeat(64), /header does not parse/);
  });

  test('truncated weights', async () => {
    const whole = tinyLlamaGguf();
    await rejects(whole.subarray(0, whole.length - 4096), /past the end of the file .*truncated/);
  });

  test('truncated metadata', async () => {
    await rejects(
      tinyLlamaGguf().subarray(0, 2000),
      /the header ends at byte \d+, past the end of the file \(2000 bytes\)/,
    );
  });

  test('duplicate token text', async () => {
    const tokens = [...tinyLlamaParts().vocab.tokens];
    tokens[300] = tokens[301]!;
    await rejects(
      mutated((p) => setValue(p, 'tokenizer.ggml.tokens', tokens)),
      /tokens 300 and 301 have the same text "H" \(llama\.cpp aborts on duplicates\)/,
    );
  });

  test('a "llama" tokenizer without its byte tokens', async () => {
    const tokens = tinyLlamaParts().vocab.tokens.map((t) => (t === '<0x41>' ? '<not-a-byte>' : t));
    await rejects(
      mutated((p) => setValue(p, 'tokenizer.ggml.tokens', tokens)),
      /256 byte tokens.*1 missing \(e\.g\. <0x41>\)/,
    );
  });

  test('required keys', async () => {
    for (const key of ['general.architecture', 'llama.block_count', 'tokenizer.ggml.model']) {
      await rejects(
        mutated((p) => (p.metadata = p.metadata.filter(([k]) => k !== key))),
        new RegExp(`'${key.replace(/\./g, '\\.')}' is missing`),
      );
    }
  });

  test('scores or token types that do not match the tokens', async () => {
    await rejects(
      mutated((p) => setValue(p, 'tokenizer.ggml.scores', [1, 2, 3])),
      /'tokenizer\.ggml\.scores' has 3 entries for 356 tokens/,
    );
  });

  test('a special token id outside the vocabulary', async () => {
    await rejects(
      mutated(
        (p) =>
          (p.metadata = p.metadata.map(([k, v]) => (k === 'tokenizer.ggml.eos_token_id' ? [k, kv.u32(999)] : [k, v]))),
      ),
      /eos_token_id 999 is outside the vocabulary of 356 tokens/,
    );
  });
});
