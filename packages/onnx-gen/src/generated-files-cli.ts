/**
 * The command line both model generators share (`@tensorgate/onnx-gen` and `@tensorgate/gguf-gen`):
 * write generated example files into the example model repository, or with `--check` compare them
 * with the files on disk (exit 1 naming each file that is missing or differs).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_REPOSITORY, type GeneratedFile } from './example-models.js';

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
 * Runs `[--check] [--out DIR]` over `files()`; resolves to the process exit code. DIR defaults to
 * `examples/model_repository` of this repository.
 *
 * @example await runGeneratedFilesCli(['--check'], generateExampleFiles) // 0 when up to date
 */
export async function runGeneratedFilesCli(
  argv: readonly string[],
  files: () => readonly GeneratedFile[],
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: { check: { type: 'boolean', default: false }, out: { type: 'string' } },
    strict: true,
  });
  const outDir = resolve(values.out ?? join(repoRoot, EXAMPLE_REPOSITORY));
  let stale = 0;
  for (const file of files()) {
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

/**
 * Runs `run(process.argv)` when `moduleUrl` is the script node was started with, setting the exit
 * code (2 and a message naming `name` on an unexpected error).
 *
 * @example runIfMain(import.meta.url, 'generate-models', runGenerateModels);
 */
export function runIfMain(moduleUrl: string, name: string, run: (argv: readonly string[]) => Promise<number>): void {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
