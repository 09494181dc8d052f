/**
 * Read-only access to a Triton model repository on disk: `<repo>/<model>/config.pbtxt` and numbered
 * version folders. Every path comes from {@link ModelRepository.modelPath}, which refuses names that
 * could leave the repository (separators, `..`, hidden names, NUL) and re-checks the resolved path.
 */
import { readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { InferenceError, invalidArg } from '../errors.js';

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

  constructor(root: string) {
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
   * A fingerprint of everything under a model folder (paths, sizes, mtimes), so polling can tell
   * when a model changed. Returns '' when the folder is gone.
   */
  async fingerprint(name: string): Promise<string> {
    const hash = createHash('sha1');
    const walk = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const e of entries) {
        const p = join(dir, e.name);
        try {
          const s = await stat(p);
          hash.update(`${relative(this.root, p)}|${s.size}|${s.mtimeMs}\n`);
          if (s.isDirectory() && depth < 8) await walk(p, depth + 1);
        } catch {
          // vanished while walking: the next poll sees the settled state
        }
      }
    };
    const dir = this.modelPath(name);
    if (!(await isDir(dir))) return '';
    await walk(dir, 0);
    return hash.digest('hex');
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
