#!/usr/bin/env node
/**
 * CLI: writes the generated example GGUF files into the example model repository, or with
 * `--check` compares them with the files on disk (exit 1 naming each file that differs).
 *
 * Usage: `node packages/gguf-gen/dist/generate-models.js [--check] [--out DIR]`
 * (DIR defaults to `examples/model_repository` of this repository).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_REPOSITORY, generateExampleFiles } from './example-models.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function readOrUndefined(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Runs the CLI with the given arguments; resolves to the process exit code.
 *
 * @example await runGenerateModels(['--check']) // 0 when the committed files are up to date
 */
export async function runGenerateModels(
  argv: readonly string[],
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { check: { type: 'boolean', default: false }, out: { type: 'string' } },
    strict: true,
  });
  const outDir = resolve(values.out ?? join(repoRoot, EXAMPLE_REPOSITORY));
  let stale = 0;
  for (const file of generateExampleFiles()) {
    const target = join(outDir, ...file.path.split('/'));
    if (values.check) {
      const onDisk = await readOrUndefined(target);
      if (onDisk === undefined || Buffer.compare(Buffer.from(onDisk), Buffer.from(file.bytes)) !== 0) {
        write(`${onDisk === undefined ? 'missing' : 'differs'}: ${target}`);
        stale++;
      }
    } else {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.bytes);
      write(`wrote ${target} (${file.bytes.length} bytes)`);
    }
  }
  if (values.check && stale > 0) write(`${stale} generated file(s) out of date; run npm run generate:models`);
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runGenerateModels(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`generate-gguf-models: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
