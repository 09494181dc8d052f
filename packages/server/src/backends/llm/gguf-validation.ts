/**
 * Checks a GGUF file before llama.cpp loads it. Some malformed files do not fail the load but
 * abort the whole process inside llama.cpp (a duplicate token text trips a GGML_ASSERT; a "llama"
 * tokenizer without all 256 byte tokens throws an uncaught std::out_of_range), so what can be
 * checked cheaply from the header is checked here, in JS, and reported as INVALID_ARG.
 *
 * The header, metadata and tensor infos are parsed by node-llama-cpp's `readGgufFileInfo` (a pure
 * JS reader that never touches the weights), rather than by a parser of our own.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { GgufFileInfo, GgufTensorInfo } from 'node-llama-cpp';
import { InferenceError, invalidArg } from '../../core/errors.js';
import { nodeLlamaCpp } from './node-llama-cpp.js';

/** Bytes per block and elements per block of the ggml tensor types whose size is checked. */
const TYPE_SIZES: ReadonlyMap<number, readonly [elements: number, bytes: number]> = new Map([
  [0, [1, 4]], // F32
  [1, [1, 2]], // F16
  [2, [32, 18]], // Q4_0
  [3, [32, 20]], // Q4_1
  [6, [32, 22]], // Q5_0
  [7, [32, 24]], // Q5_1
  [8, [32, 34]], // Q8_0
  [9, [32, 36]], // Q8_1
  [10, [256, 84]], // Q2_K
  [11, [256, 110]], // Q3_K
  [12, [256, 144]], // Q4_K
  [13, [256, 176]], // Q5_K
  [14, [256, 210]], // Q6_K
  [15, [256, 292]], // Q8_K
  [24, [1, 1]], // I8
  [25, [1, 2]], // I16
  [26, [1, 4]], // I32
  [27, [1, 8]], // I64
  [28, [1, 8]], // F64
  [30, [1, 2]], // BF16
]);

/** What the validator learnt about the file, for logs. */
export interface GgufSummary {
  readonly architecture: string;
  readonly tokenizer: string;
  readonly vocabularySize: number;
  readonly tensorCount: number;
  readonly trainContextSize: number | undefined;
  readonly chatTemplate: boolean;
}

/** Reads a metadata value by dotted key from node-llama-cpp's nested metadata object. */
function lookup(metadata: unknown, key: string): unknown {
  let node: unknown = metadata;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function tensorBytes(t: GgufTensorInfo): bigint | undefined {
  const size = TYPE_SIZES.get(t.ggmlType);
  if (size === undefined) return undefined;
  const elements = t.dimensions.reduce<bigint>((a, d) => a * BigInt(d), 1n);
  return ((elements + BigInt(size[0]) - 1n) / BigInt(size[0])) * BigInt(size[1]);
}

/** The byte token texts a SentencePiece ("llama") vocabulary must contain. */
function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * Checks the parsed header of a GGUF file of `fileSize` bytes; throws INVALID_ARG naming the
 * first problem. Separate from the file reading so tests can feed it crafted headers.
 */
export function checkGgufInfo(info: GgufFileInfo, fileSize: number, name: string): GgufSummary {
  const fail = (why: string): never => {
    throw invalidArg(`GGUF file '${name}' cannot be loaded: ${why}`);
  };
  if (info.version !== 2 && info.version !== 3) fail(`unsupported GGUF version ${info.version} (expected 2 or 3)`);
  // The reader pads a short file with zeros instead of failing, so compare the header's end first.
  if (info.splicedParts <= 1 && info.infoEndOffset !== undefined && info.infoEndOffset > fileSize) {
    fail(`the header ends at byte ${info.infoEndOffset}, past the end of the file (${fileSize} bytes): truncated?`);
  }
  const metadata: unknown = info.metadata;
  const arch = lookup(metadata, 'general.architecture');
  if (typeof arch !== 'string' || arch === '') fail("metadata key 'general.architecture' is missing");
  const architecture = arch as string;
  for (const key of ['block_count', 'embedding_length', 'attention.head_count']) {
    const v = lookup(metadata, `${architecture}.${key}`);
    if (typeof v !== 'number' && typeof v !== 'bigint') fail(`metadata key '${architecture}.${key}' is missing`);
  }
  const model = lookup(metadata, 'tokenizer.ggml.model');
  if (typeof model !== 'string') fail("metadata key 'tokenizer.ggml.model' is missing");
  const tokens = lookup(metadata, 'tokenizer.ggml.tokens');
  if (model !== 'none' && model !== 'no_vocab') {
    if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === 'string')) {
      fail("metadata key 'tokenizer.ggml.tokens' must be a non-empty array of strings");
    }
  }
  const vocab = (Array.isArray(tokens) ? tokens : []) as string[];
  const seen = new Map<string, number>();
  vocab.forEach((t, i) => {
    const first = seen.get(t);
    if (first !== undefined)
      fail(`tokens ${first} and ${i} have the same text ${JSON.stringify(t)} (llama.cpp aborts on duplicates)`);
    seen.set(t, i);
  });
  for (const key of ['tokenizer.ggml.scores', 'tokenizer.ggml.token_type']) {
    const v = lookup(metadata, key);
    if (v !== undefined && (!Array.isArray(v) || v.length !== vocab.length)) {
      fail(`'${key}' has ${Array.isArray(v) ? v.length : 'no'} entries for ${vocab.length} tokens`);
    }
  }
  if (model === 'llama') {
    const missing = [];
    for (let b = 0; b < 256; b++) if (!seen.has(byteToken(b))) missing.push(byteToken(b));
    if (missing.length > 0) {
      fail(
        `the "llama" tokenizer needs all 256 byte tokens <0x00>..<0xFF>; ${missing.length} missing (e.g. ${missing[0]})`,
      );
    }
  }
  for (const id of ['bos', 'eos', 'unknown', 'padding', 'eot']) {
    const v = lookup(metadata, `tokenizer.ggml.${id}_token_id`);
    if (typeof v === 'number' && vocab.length > 0 && (v < 0 || v >= vocab.length)) {
      fail(`tokenizer.ggml.${id}_token_id ${v} is outside the vocabulary of ${vocab.length} tokens`);
    }
  }
  const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
  if (tensors.length === 0) fail('the file has no tensors');
  if (info.splicedParts <= 1) {
    for (const t of tensors) {
      const start = BigInt(t.fileOffset);
      const bytes = tensorBytes(t) ?? 1n;
      if (start + bytes > BigInt(fileSize)) {
        fail(
          `tensor '${t.name}' ends at byte ${start + bytes}, past the end of the file (${fileSize} bytes): truncated?`,
        );
      }
    }
  }
  const ctx = lookup(metadata, `${architecture}.context_length`);
  return {
    architecture,
    tokenizer: model as string,
    vocabularySize: vocab.length,
    tensorCount: tensors.length,
    trainContextSize: typeof ctx === 'number' ? ctx : undefined,
    chatTemplate: typeof lookup(metadata, 'tokenizer.chat_template') === 'string',
  };
}

/**
 * Reads the header of the GGUF file at `path` and checks it (see {@link checkGgufInfo}).
 *
 * @example
 * ```ts
 * const summary = await validateGgufFile('/models/llm/1/model.gguf'); // throws INVALID_ARG when unsafe
 * ```
 */
export async function validateGgufFile(path: string): Promise<GgufSummary> {
  const name = basename(path);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    size = s.size;
  } catch (e) {
    throw invalidArg(`GGUF model file '${path}' cannot be read: ${(e as Error).message}`);
  }
  if (size < 24)
    throw invalidArg(`GGUF file '${name}' cannot be loaded: only ${size} bytes, too short for a GGUF header`);
  const { readGgufFileInfo } = await nodeLlamaCpp();
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false });
  } catch (e) {
    if (e instanceof InferenceError) throw e;
    throw invalidArg(`GGUF file '${name}' cannot be loaded: its header does not parse (${(e as Error).message})`);
  }
  return checkGgufInfo(info, size, name);
}
