/**
 * @tensorgate/gguf-gen: a small GGUF (llama.cpp model file) writer and the generator of
 * tensorgate's tiny example LLM and embedding model. No downloads, byte-for-byte deterministic.
 */
export { ByteWriter } from './byte-writer.js';
export {
  GgmlTensorType,
  GgufValueType,
  kv,
  LlamaFileType,
  LlamaTokenType,
  type GgmlTensorTypeId,
  type GgufArrayValue,
  type GgufMetadataEntry,
  type GgufScalarType,
  type GgufScalarValue,
  type GgufTensor,
  type GgufValue,
  type LlamaTokenTypeId,
} from './gguf-types.js';
export { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, writeGguf, type GgufFile } from './gguf-writer.js';
export { seededNormal } from './seeded-normal.js';
export { buildVocab, CHATML_TEMPLATE, SPM_SPACE, type TinyVocab } from './tokenizer-vocab.js';
export {
  TINY_LLAMA_DEFAULTS,
  tinyLlamaGguf,
  tinyLlamaParts,
  type SuppressedKind,
  type TinyLlamaOptions,
  type TinyLlamaParts,
} from './tiny-llama.js';
export { TINY_EMBEDDING_DEFAULTS, tinyEmbeddingGguf, tinyEmbeddingParts } from './tiny-embedding.js';
export { EXAMPLE_REPOSITORY, generateExampleFiles, type GeneratedFile } from './example-models.js';
