/**
 * The fingerprint of a model folder (paths, kinds, sizes, mtimes, link targets), which poll mode
 * compares to tell when a model changed, and every load records.
 *
 * The walk keeps to the model folder, by the containment rule of every config-named path
 * (`backend-api/confined-path.ts`): a symbolic link inside the folder whose target stays inside is
 * followed (a directory once: real paths already walked are not walked again, so a link to an
 * ancestor is no cycle); a link that leads out is fingerprinted by its own `lstat` and target text
 * and never followed, so nothing outside the folder is listed or even stat'ed (a `usr_link -> /usr`
 * made a load stat 126k files and take 5 s). Kubernetes ConfigMap-style folders
 * (`config.pbtxt -> ..data/config.pbtxt`, `..data -> ..2024_01_01`) are covered: the links'
 * targets, and what they point to inside the folder, are part of the fingerprint.
 *
 * The walk is breadth first, so `config.pbtxt` and the version folders come before deep trees
 * (a `node_modules` under a JS model), and bounded: after {@link MAX_FINGERPRINT_ENTRIES} entries,
 * or below {@link MAX_FINGERPRINT_DEPTH} levels, it stops and says so, and later changes deeper
 * than that are not seen by poll mode.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveConfinedPath } from '../../backend-api/confined-path.js';

/** Most entries (files, folders, links) one fingerprint looks at. */
export const MAX_FINGERPRINT_ENTRIES = 10_000;

/** Deepest folder level walked below the model folder (the model folder's entries are level 0). */
export const MAX_FINGERPRINT_DEPTH = 8;

/** A fingerprint, and whether the walk stopped at one of its bounds before seeing everything. */
export interface FolderFingerprint {
  /** Hex digest; '' when the folder does not exist. */
  readonly hash: string;
  /** Set when the walk stopped early: which bound it reached. */
  readonly truncated?: 'entries' | 'depth';
}

interface Pending {
  /** Path through the configured model folder (links included), as walked. */
  readonly path: string;
  /** Path relative to the model folder, hashed and shown. */
  readonly rel: string;
  readonly depth: number;
}

/**
 * Fingerprints the model folder `modelPath`.
 *
 * @param limits - bounds of the walk (tests lower them)
 * @example
 * ```ts
 * const { hash } = await fingerprintFolder('/models/simple'); // changes when any file inside changes
 * ```
 */
export async function fingerprintFolder(
  modelPath: string,
  limits: { entries?: number; depth?: number } = {},
): Promise<FolderFingerprint> {
  const maxEntries = limits.entries ?? MAX_FINGERPRINT_ENTRIES;
  const maxDepth = limits.depth ?? MAX_FINGERPRINT_DEPTH;
  let root: string;
  try {
    root = await realpath(modelPath);
    if (!(await stat(root)).isDirectory()) return { hash: '' };
  } catch {
    return { hash: '' };
  }
  const hash = createHash('sha1');
  const walked = new Set<string>([root]);
  const queue: Pending[] = [{ path: modelPath, rel: '', depth: 0 }];
  let entries = 0;
  let truncated: FolderFingerprint['truncated'];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    let names: string[];
    try {
      names = (await readdir(next.path)).sort();
    } catch {
      continue; // vanished or unreadable: the next poll sees the settled state
    }
    for (const name of names) {
      if (++entries > maxEntries) {
        hash.update(`truncated at ${maxEntries} entries\n`);
        return { hash: hash.digest('hex'), truncated: 'entries' };
      }
      const path = join(next.path, name);
      const rel = next.rel === '' ? name : `${next.rel}/${name}`;
      let info;
      try {
        info = await lstat(path);
      } catch {
        continue;
      }
      if (info.isSymbolicLink()) {
        const dir = await fingerprintLink(hash, modelPath, path, rel, info.mtimeMs);
        if (dir !== undefined && !walked.has(dir)) {
          walked.add(dir);
          if (next.depth < maxDepth) queue.push({ path, rel, depth: next.depth + 1 });
          else truncated ??= 'depth';
        }
        continue;
      }
      hash.update(`${rel}|${info.isDirectory() ? 'd' : 'f'}|${info.size}|${info.mtimeMs}\n`);
      if (!info.isDirectory()) continue;
      // A real folder below a walked one: its real path is the walked one's plus its name, unless a
      // link reached it first (then it was walked already).
      const real = await realpath(path).catch(() => undefined);
      if (real === undefined || walked.has(real)) continue;
      walked.add(real);
      if (next.depth < maxDepth) queue.push({ path, rel, depth: next.depth + 1 });
      else truncated ??= 'depth';
    }
  }
  return truncated === undefined ? { hash: hash.digest('hex') } : { hash: hash.digest('hex'), truncated };
}

/**
 * Hashes one symbolic link: its target text and mtime, and, when it resolves inside the model
 * folder, what it leads to. Returns the real path of the folder it leads to, for the walk to
 * follow, or undefined (a file, a missing target, or a place outside the folder).
 */
async function fingerprintLink(
  hash: ReturnType<typeof createHash>,
  modelPath: string,
  path: string,
  rel: string,
  mtimeMs: number,
): Promise<string | undefined> {
  const target = await readlink(path).catch(() => '');
  hash.update(`${rel}|l|${target}|${mtimeMs}\n`);
  let resolved;
  try {
    resolved = await resolveConfinedPath(rel, { modelPath, field: 'link' });
  } catch {
    hash.update(`${rel}|outside\n`);
    return undefined;
  }
  if (resolved.kind === 'directory') return resolved.path;
  if (resolved.kind === 'file') {
    const s = await stat(resolved.path).catch(() => undefined);
    if (s) hash.update(`${rel}|->|${s.size}|${s.mtimeMs}\n`);
  }
  return undefined;
}
