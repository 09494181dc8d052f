/**
 * The GGUF files of tensorgate's example model repository, generated rather than downloaded.
 */
import type { GeneratedFile } from '@tensorgate/onnx-gen';
import { tinyEmbeddingGguf } from './tiny-embedding.js';
import { tinyLlamaGguf } from './tiny-llama.js';

export { EXAMPLE_REPOSITORY, type GeneratedFile } from '@tensorgate/onnx-gen';

/**
 * Every generated GGUF example file: the `llm` example's tiny model and the `embedding` example's.
 *
 * @example
 * ```ts
 * for (const f of generateExampleFiles()) await writeFile(join(repo, f.path), f.bytes);
 * ```
 */
export function generateExampleFiles(): GeneratedFile[] {
  return [
    { path: 'llm/1/model.gguf', bytes: tinyLlamaGguf() },
    { path: 'embedding/1/model.gguf', bytes: tinyEmbeddingGguf() },
  ];
}
