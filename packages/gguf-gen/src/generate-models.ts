#!/usr/bin/env node
/**
 * CLI: writes the generated GGUF example model files into the example model repository, or with
 * `--check` compares them with the files on disk (exit 1 naming each file that differs).
 *
 * Usage: `node packages/gguf-gen/dist/generate-models.js [--check] [--out DIR]`
 * (DIR defaults to `examples/model_repository` of this repository).
 */
import { runGeneratedFilesCli, runIfMain } from '@tensorgate/onnx-gen';
import { generateExampleFiles } from './example-models.js';

/**
 * Runs the CLI with the given arguments; resolves to the process exit code.
 *
 * @example await runGenerateModels(['--check']) // 0 when the committed files are up to date
 */
export function runGenerateModels(argv: readonly string[], write?: (line: string) => void): Promise<number> {
  return runGeneratedFilesCli(argv, generateExampleFiles, write);
}

runIfMain(import.meta.url, 'generate-gguf-models', runGenerateModels);
