/**
 * The GGUF files of tensorgate's example model repository, generated rather than downloaded.
 */
import { tinyLlamaGguf } from './tiny-llama.js';

/** The example model repository, relative to the repository root. */
export const EXAMPLE_REPOSITORY = 'examples/model_repository';

/** One generated file: its path inside the example repository and its bytes. */
export interface GeneratedFile {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/**
 * Every generated GGUF example file (today: the `llm` example's tiny model).
 *
 * @example
 * ```ts
 * for (const f of generateExampleFiles()) await writeFile(join(repo, f.path), f.bytes);
 * ```
 */
export function generateExampleFiles(): GeneratedFile[] {
  return [{ path: 'llm/1/model.gguf', bytes: tinyLlamaGguf() }];
}
