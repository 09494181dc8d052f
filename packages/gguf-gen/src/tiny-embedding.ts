/**
 * A tiny embedding model: the tiny llama architecture (tiny-llama.ts) declared as an embedding
 * model with mean pooling (`llama.pooling_type` = 1), as llama-based embedding models are
 * (e5-mistral, gte-Qwen). llama.cpp returns the mean of the last hidden states over the input's
 * tokens. Its vectors are deterministic but carry no meaning (random weights).
 */
import { writeGguf } from './gguf-writer.js';
import { kv } from './gguf-types.js';
import { seededNormal } from './seeded-normal.js';
import { tinyLlamaParts, type TinyLlamaOptions, type TinyLlamaParts } from './tiny-llama.js';

/** llama.cpp's LLAMA_POOLING_TYPE_MEAN. */
const POOLING_MEAN = 1;

/** The defaults of the example model `embedding`: 64 dimensions, another seed than `llm`. */
export const TINY_EMBEDDING_DEFAULTS: Partial<TinyLlamaOptions> = Object.freeze({ seed: 7, nEmbd: 64 });

/**
 * Metadata and tensors of the tiny embedding model.
 *
 * @example
 * ```ts
 * const parts = tinyEmbeddingParts();
 * ```
 */
export function tinyEmbeddingParts(options: Partial<TinyLlamaOptions> = {}): TinyLlamaParts {
  const parts = tinyLlamaParts({ ...TINY_EMBEDDING_DEFAULTS, ...options });
  const nEmbd = parts.options.nEmbd;
  // The generator keeps residual channel 0 constant (its logit-bias trick); that channel would
  // dominate every vector, so an embedding model gets random values there like everywhere else.
  const embd = parts.tensors.find((t) => t.name === 'token_embd.weight')!.data as Float32Array;
  const randn = seededNormal(parts.options.seed + 1);
  for (let i = 0; i < embd.length; i += nEmbd) embd[i] = randn();
  parts.metadata = parts.metadata.map(([k, v]) =>
    k === 'general.name' ? [k, kv.str('tensorgate-tiny-embedding')] : [k, v],
  );
  parts.metadata.push(['llama.pooling_type', kv.u32(POOLING_MEAN)]);
  return parts;
}

/**
 * The tiny embedding model as GGUF bytes.
 *
 * @example
 * ```ts
 * await writeFile('model.gguf', tinyEmbeddingGguf());
 * ```
 */
export function tinyEmbeddingGguf(options: Partial<TinyLlamaOptions> = {}): Uint8Array {
  const { metadata, tensors } = tinyEmbeddingParts(options);
  return writeGguf({ metadata, tensors });
}
