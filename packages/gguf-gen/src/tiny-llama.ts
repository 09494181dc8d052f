/**
 * A tiny, deterministic llama-architecture model with seeded random weights, for examples and
 * tests that need a real GGUF but cannot download one. Its output is gibberish, but it runs
 * through llama.cpp like any llama model: tokenizer, chat template, sampling, batching.
 */
import { writeGguf } from './gguf-writer.js';
import {
  GgmlTensorType,
  GgufValueType,
  kv,
  LlamaFileType,
  LlamaTokenType,
  type GgufMetadataEntry,
  type GgufTensor,
  type LlamaTokenTypeId,
} from './gguf-types.js';
import { seededNormal } from './seeded-normal.js';
import { buildVocab, CHATML_TEMPLATE, type TinyVocab } from './tokenizer-vocab.js';

/** Token kinds the model can be kept from emitting. */
export type SuppressedKind = 'control' | 'unknown' | 'byte';

/** Shape and content options of the tiny model. */
export interface TinyLlamaOptions {
  readonly nEmbd: number;
  readonly nLayer: number;
  readonly nHead: number;
  readonly nHeadKv: number;
  readonly nFf: number;
  /** Training context length; 1024 lets node-llama-cpp's default chat system prompt fit. */
  readonly nCtx: number;
  readonly ropeFreqBase: number;
  readonly rmsEps: number;
  readonly seed: number;
  /** Store the matrices as F16 (half the size); norms stay F32. */
  readonly f16: boolean;
  /**
   * Token kinds given a large negative logit bias, so neither greedy nor sampled decoding emits
   * them. Default: all three, so only printable ASCII and spaces come out (valid UTF-8, and the
   * model never stops on `</s>` by itself).
   */
  readonly suppress: readonly SuppressedKind[];
}

/** The defaults; the example model `llm` uses exactly these. */
export const TINY_LLAMA_DEFAULTS: TinyLlamaOptions = Object.freeze({
  nEmbd: 64,
  nLayer: 2,
  nHead: 4,
  nHeadKv: 4,
  nFf: 128,
  nCtx: 1024,
  ropeFreqBase: 10000,
  rmsEps: 1e-5,
  seed: 42,
  f16: true,
  suppress: Object.freeze(['control', 'unknown', 'byte'] as const),
});

/** The model before serialisation; tests mutate it to build malformed files. */
export interface TinyLlamaParts {
  metadata: GgufMetadataEntry[];
  tensors: GgufTensor[];
  readonly vocab: TinyVocab;
  readonly options: TinyLlamaOptions;
}

/** The value added to residual channel 0 of every token embedding (see {@link tinyLlamaParts}). */
const BIAS_LEVEL = 8;

const KIND_TYPES: Record<SuppressedKind, LlamaTokenTypeId> = {
  control: LlamaTokenType.CONTROL,
  unknown: LlamaTokenType.UNKNOWN,
  byte: LlamaTokenType.BYTE,
};

/**
 * Metadata and tensors of the tiny model.
 *
 * The logit bias works through a constant residual channel: dimension 0 of every token embedding
 * holds a constant and no layer writes into it (row 0 of `attn_output` and `ffn_down` is zero),
 * so after `output_norm` it is a positive constant and column 0 of `output.weight` acts as a
 * per-token logit bias.
 *
 * @example
 * ```ts
 * const parts = tinyLlamaParts({ nCtx: 256 });
 * parts.metadata = parts.metadata.filter(([k]) => k !== 'tokenizer.chat_template');
 * const bytes = writeGguf(parts);
 * ```
 */
export function tinyLlamaParts(options: Partial<TinyLlamaOptions> = {}): TinyLlamaParts {
  const o: TinyLlamaOptions = { ...TINY_LLAMA_DEFAULTS, ...options };
  const { nEmbd, nLayer, nHead, nHeadKv, nFf, nCtx } = o;
  if (nEmbd % nHead !== 0) throw new Error('nEmbd must be divisible by nHead');
  const headDim = nEmbd / nHead;
  const vocab = buildVocab();
  const nVocab = vocab.tokens.length;
  const matrixType = o.f16 ? GgmlTensorType.F16 : GgmlTensorType.F32;
  const randn = seededNormal(o.seed);

  const tensors: GgufTensor[] = [];
  const data = new Map<string, Float32Array>();
  const weight = (name: string, dims: number[], std: number): void => {
    const values = new Float32Array(dims[0]! * dims[1]!);
    for (let i = 0; i < values.length; i++) values[i] = randn() * std;
    data.set(name, values);
    tensors.push({ name, dims, type: matrixType, data: values });
  };
  const norm = (name: string): void => {
    tensors.push({ name, dims: [nEmbd], type: GgmlTensorType.F32, data: new Float32Array(nEmbd).fill(1) });
  };
  // ggml order: [in_features (contiguous), out_features]
  weight('token_embd.weight', [nEmbd, nVocab], 1.0);
  for (let i = 0; i < nLayer; i++) {
    norm(`blk.${i}.attn_norm.weight`);
    weight(`blk.${i}.attn_q.weight`, [nEmbd, headDim * nHead], 1 / Math.sqrt(nEmbd));
    weight(`blk.${i}.attn_k.weight`, [nEmbd, headDim * nHeadKv], 1 / Math.sqrt(nEmbd));
    weight(`blk.${i}.attn_v.weight`, [nEmbd, headDim * nHeadKv], 1 / Math.sqrt(nEmbd));
    weight(`blk.${i}.attn_output.weight`, [headDim * nHead, nEmbd], 1 / Math.sqrt(nEmbd));
    norm(`blk.${i}.ffn_norm.weight`);
    weight(`blk.${i}.ffn_gate.weight`, [nEmbd, nFf], 1 / Math.sqrt(nEmbd));
    weight(`blk.${i}.ffn_up.weight`, [nEmbd, nFf], 1 / Math.sqrt(nEmbd));
    weight(`blk.${i}.ffn_down.weight`, [nFf, nEmbd], 1 / Math.sqrt(nFf));
  }
  norm('output_norm.weight');
  weight('output.weight', [nEmbd, nVocab], 0.5);

  const embd = data.get('token_embd.weight')!;
  for (let id = 0; id < nVocab; id++) embd[id * nEmbd] = BIAS_LEVEL;
  for (let i = 0; i < nLayer; i++) {
    data.get(`blk.${i}.attn_output.weight`)!.fill(0, 0, headDim * nHead);
    data.get(`blk.${i}.ffn_down.weight`)!.fill(0, 0, nFf);
  }
  const suppressed = new Set(o.suppress.map((k) => KIND_TYPES[k]));
  const out = data.get('output.weight')!;
  for (let id = 0; id < nVocab; id++) out[id * nEmbd] = suppressed.has(vocab.types[id]!) ? -BIAS_LEVEL : 0;

  const A = 'llama';
  const metadata: GgufMetadataEntry[] = [
    ['general.architecture', kv.str(A)],
    ['general.name', kv.str('tensorgate-tiny-llama')],
    ['general.file_type', kv.u32(o.f16 ? LlamaFileType.MOSTLY_F16 : LlamaFileType.ALL_F32)],
    ['general.alignment', kv.u32(32)],
    [`${A}.vocab_size`, kv.u32(nVocab)],
    [`${A}.context_length`, kv.u32(nCtx)],
    [`${A}.embedding_length`, kv.u32(nEmbd)],
    [`${A}.block_count`, kv.u32(nLayer)],
    [`${A}.feed_forward_length`, kv.u32(nFf)],
    [`${A}.attention.head_count`, kv.u32(nHead)],
    [`${A}.attention.head_count_kv`, kv.u32(nHeadKv)],
    [`${A}.attention.layer_norm_rms_epsilon`, kv.f32(o.rmsEps)],
    [`${A}.rope.dimension_count`, kv.u32(headDim)],
    [`${A}.rope.freq_base`, kv.f32(o.ropeFreqBase)],
    ['tokenizer.ggml.model', kv.str('llama')],
    ['tokenizer.ggml.tokens', kv.arr(GgufValueType.STRING, vocab.tokens)],
    ['tokenizer.ggml.scores', kv.arr(GgufValueType.FLOAT32, vocab.scores)],
    ['tokenizer.ggml.token_type', kv.arr(GgufValueType.INT32, vocab.types)],
    ['tokenizer.ggml.unknown_token_id', kv.u32(vocab.special.unk)],
    ['tokenizer.ggml.bos_token_id', kv.u32(vocab.special.bos)],
    ['tokenizer.ggml.eos_token_id', kv.u32(vocab.special.eos)],
    ['tokenizer.ggml.add_bos_token', kv.bool(true)],
    ['tokenizer.ggml.add_eos_token', kv.bool(false)],
    ['tokenizer.chat_template', kv.str(CHATML_TEMPLATE)],
  ];
  return { metadata, tensors, vocab, options: o };
}

/**
 * The tiny model as GGUF bytes (about 270 KB with the defaults).
 *
 * @example
 * ```ts
 * await writeFile('model.gguf', tinyLlamaGguf());
 * ```
 */
export function tinyLlamaGguf(options: Partial<TinyLlamaOptions> = {}): Uint8Array {
  const { metadata, tensors } = tinyLlamaParts(options);
  return writeGguf({ metadata, tensors });
}
