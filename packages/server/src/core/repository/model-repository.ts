/**
 * Read-only access to a Triton model repository on disk: `<repo>/<model>/config.pbtxt` and numbered
 * version folders. Every path comes from {@link ModelRepository.modelPath}, which refuses names that
 * could leave the repository (separators, `..`, hidden names, NUL) and re-checks the resolved path.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import { InferenceError, invalidArg } from '../errors.js';
import { fingerprintFolder, MAX_FINGERPRINT_DEPTH, MAX_FINGERPRINT_ENTRIES } from './folder-fingerprint.js';

/** True for names a model may have: no path separators, not `.`/`..`/hidden, no control characters. */
export function isSafeModelName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name.length > 0 && name.length <= 255 && !name.startsWith('.') && !/[/\\\u0000-\u001f]/.test(name);
}

/**
 * @example
 * ```ts
 * const repo = new ModelRepository('examples/model_repository');
 * await repo.listModels(); // ['identity_fp32', 'simple', ...]
 * ```
 */
export class ModelRepository {
  /** Absolute path of the repository root. */
  readonly root: string;

  /** Models whose fingerprint walk reached a bound (warned once each). */
  private readonly truncationWarned = new Set<string>();

  /**
   * @param root - the repository folder
   * @param logger - where a model folder too large to fingerprint fully is reported
   */
  constructor(
    root: string,
    private readonly logger?: Logger,
  ) {
    this.root = resolve(root);
  }

  /** Directory of a model; throws INVALID_ARG for a name that could escape the repository. */
  modelPath(name: string): string {
    if (!isSafeModelName(name)) throw invalidArg(`invalid model name ${JSON.stringify(name)}`);
    const p = join(this.root, name);
    const rel = relative(this.root, p);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) {
      throw invalidArg(`invalid model name ${JSON.stringify(name)}`);
    }
    return p;
  }

  /** Names of the model folders, sorted. Throws UNAVAILABLE when the root cannot be read. */
  async listModels(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (e) {
      throw new InferenceError(
        'UNAVAILABLE',
        `failed to read model repository '${this.root}': ${(e as Error).message}`,
      );
    }
    const names: string[] = [];
    for (const e of entries) {
      if (!isSafeModelName(e.name)) continue;
      if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(this.root, e.name))))) names.push(e.name);
    }
    return names.sort();
  }

  /** True when a model folder exists. */
  async hasModel(name: string): Promise<boolean> {
    return isDir(this.modelPath(name));
  }

  /** Version numbers present as numbered sub-folders (positive integers), ascending. */
  async listVersions(name: string): Promise<number[]> {
    const dir = this.modelPath(name);
    const entries = await readdir(dir, { withFileTypes: true });
    const versions: number[] = [];
    for (const e of entries) {
      if (!/^[0-9]+$/.test(e.name)) continue;
      const v = Number(e.name);
      if (!Number.isSafeInteger(v) || v <= 0) continue;
      if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(join(dir, e.name))))) versions.push(v);
    }
    return versions.sort((a, b) => a - b);
  }

  /**
   * A fingerprint of everything under a model folder (paths, sizes, mtimes, link targets), so
   * polling can tell when a model changed; see folder-fingerprint.ts for what the walk follows and
   * its bounds (a warning is logged once per model when it reaches one). Returns '' when the
   * folder is gone.
   */
  async fingerprint(name: string): Promise<string> {
    const { hash, truncated } = await fingerprintFolder(this.modelPath(name));
    if (truncated !== undefined && !this.truncationWarned.has(name)) {
      this.truncationWarned.add(name);
      this.logger?.warn(
        { model: name, maxEntries: MAX_FINGERPRINT_ENTRIES, maxDepth: MAX_FINGERPRINT_DEPTH },
        truncated === 'entries'
          ? `model folder holds more than ${MAX_FINGERPRINT_ENTRIES} entries: poll mode sees changes only in the first ${MAX_FINGERPRINT_ENTRIES} (breadth first: config.pbtxt and version folders come first)`
          : `model folder is nested deeper than ${MAX_FINGERPRINT_DEPTH} levels: poll mode does not see changes below that`,
      );
    }
    return hash;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
