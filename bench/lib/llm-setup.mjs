// Model repositories and the server process for bench/llm-throughput.mjs.
//
// - tiny: a copy of examples/model_repository/llm (the 266 KB example GGUF, hard-linked);
// - medium: the same config with a bigger llama model written at run time with @tensorgate/gguf-gen
//   (tinyLlamaGguf with more layers and wider matrices; random weights, F16), so per-token compute
//   dominates as with real models.
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.mjs';
import { makeRepository, withParameters } from './model-repo.mjs';

/** The example LLM folder. */
export const LLM_EXAMPLE_DIR = join(ROOT, 'examples/model_repository/llm');

/** The llm backend's parameters as the config sets them (a later entry wins, as in the server). */
export function readLlmParameters(text) {
  const out = {};
  const re = /key:\s*"([^"]+)"\s*value\s*:?\s*\{\s*string_value:\s*"([^"]*)"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]] = m[2];
  return out;
}

/**
 * Builds a repository with one model `llm` of `kind` ('tiny' | 'medium'), served with
 * `sequences` parallel sequences. medium = gguf-gen TinyLlamaOptions overrides; extraParameters =
 * more config parameters of the served copy (e.g. stream_interval_ms).
 * Returns { path, modelFile, modelBytes, settings: { threads, contextSize, batchSize, sequences }, remove() }.
 */
export async function makeLlmRepository(kind, sequences, medium, extraParameters = {}) {
  const edit = (text) => withParameters(text, { max_parallel_sequences: sequences, ...extraParameters });
  const repo = makeRepository(LLM_EXAMPLE_DIR, [{ name: 'llm', edit }]);
  const modelFile = join(repo.path, 'llm', '1', 'model.gguf');
  if (kind === 'medium') {
    const { tinyLlamaGguf } = await import('@tensorgate/gguf-gen');
    // The copy is a hard link to the example: unlink it before writing the new model.
    rmSync(modelFile);
    writeFileSync(modelFile, tinyLlamaGguf(medium));
  }
  const params = readLlmParameters(readFileSync(join(repo.path, 'llm', 'config.pbtxt'), 'utf8'));
  const int = (k) => (params[k] === undefined ? undefined : Number(params[k]));
  return {
    ...repo,
    modelFile,
    modelBytes: readFileSync(modelFile).length,
    settings: {
      modelFile,
      threads: int('threads'),
      contextSize: int('context_size'),
      batchSize: int('batch_size'),
      sequences: int('max_parallel_sequences'),
    },
  };
}
