/**
 * The one containment rule for files a model config names: every such path (`default_model_filename`,
 * `label_filename`, warmup `input_data_file`, backend parameters such as the llm backend's
 * `model_file`, ONNX external-data locations) is resolved with symlinks followed and must lie inside
 * the model's own folder `<repository>/<model>`, itself taken with its symlinks resolved (a model
 * folder may be a symlink, e.g. a Kubernetes volume, and may hold `..data`-style links that stay
 * inside it). A config can arrive over the network (the load API's `config` override), so this is
 * what keeps a client from making the server read, import or run files elsewhere on the host.
 *
 * It lives in the backend API because both the core (label files, warmup data) and every backend
 * (model files) use it, and backends import only this folder and the core's data types.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { InferenceError, invalidArg } from '../core/errors.js';

/** What a confined path names. */
export type ConfinedKind = 'file' | 'directory' | 'missing' | 'other';

/** A config-named path resolved inside its model folder. */
export interface ConfinedPath {
  /**
   * Absolute path with every symbolic link resolved, inside the model folder's real path. Open,
   * import or stat this path, never the configured name: it holds no symlink that could be
   * swapped to lead elsewhere. For a `missing` path it is where the file would be (for messages).
   */
  readonly path: string;
  /** What lies there: a regular file, a directory, nothing (a component is absent), or another kind. */
  readonly kind: ConfinedKind;
}

/** Where a config-named path is resolved, and what to call it in errors. */
export interface ConfineOptions {
  /** The model folder `<repository>/<model>`: nothing outside its real path may be named. */
  readonly modelPath: string;
  /** Folder a relative name is resolved against (default: the model folder); must lie inside it. */
  readonly base?: string;
  /** The config field that named the path, for messages (e.g. `label_filename`). */
  readonly field: string;
  /** What the field belongs to, for messages (e.g. `output 'PROB'`). */
  readonly owner?: string;
}

/** Symbolic links followed for one name before giving up (Linux's MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

/** Longest name accepted (Linux's PATH_MAX). */
export const MAX_CONFINED_NAME_LENGTH = 4096;

const components = (p: string): string[] => p.split(/[\\/]+/).filter((c) => c !== '' && c !== '.');

/**
 * The components of a configured name as the OS walks them: `.` is kept, and a trailing slash
 * adds one, since both require what precedes them to be a directory (`file.txt/.` is ENOTDIR).
 */
function nameComponents(name: string): string[] {
  const parts = name.split(/[\\/]+/).filter((c) => c !== '');
  if (parts.length > 0 && /[\\/]$/.test(name)) parts.push('.');
  return parts;
}

/**
 * The components of `abs` (an absolute path's components, `.` kept) below `root` (components), or
 * undefined when `abs` does not start with them. `.` in the prefix is skipped; `..` never matches,
 * so `/repo/m/../x` is not below `/repo/m`.
 */
function below(abs: readonly string[], root: readonly string[]): string[] | undefined {
  let i = 0;
  for (const r of root) {
    while (abs[i] === '.') i++;
    if (abs[i] !== r) return undefined;
    i++;
  }
  return abs.slice(i);
}

/**
 * Resolves `name` (as a config gives it) against `options.base` inside the model folder,
 * following symbolic links, and checks the result never leaves the folder.
 *
 * Written by hand rather than with `fs.realpath`: realpath would follow a link out of the folder
 * and stat what lies there before we could refuse it. Here each component is looked at only while
 * the walk is still inside the folder, and the first step that would leave it (a `..` above the
 * folder, an absolute name or link target elsewhere) fails at once, so nothing outside is ever
 * stat'ed, opened or imported, and a missing outside file answers the same as an existing one.
 * An absolute name is accepted only when it names a place inside the folder (under either its
 * configured or its real path). Time-of-check races with someone who can write into the model
 * folder are out of scope: such a person already controls the model.
 *
 * @throws InferenceError INVALID_ARG `<field> '<name>' [of <owner>] resolves outside the model
 *   folder '<modelPath>'` when the name leaves the folder; INVALID_ARG for a NUL character, a name
 *   longer than 4096 characters or more than 40 symbolic links; UNAVAILABLE when the model folder
 *   itself cannot be resolved
 * @example
 * ```ts
 * const label = await resolveConfinedPath('labels.txt', { modelPath: '/models/densenet', field: 'label_filename' });
 * if (label.kind === 'file') text = await readFile(label.path, 'utf8');
 * ```
 */
export async function resolveConfinedPath(name: string, options: ConfineOptions): Promise<ConfinedPath> {
  const { modelPath, field } = options;
  const owner = options.owner ? ` of ${options.owner}` : '';
  const what = `${field} '${name}'${owner}`;
  const outside = (): InferenceError => invalidArg(`${what} resolves outside the model folder '${modelPath}'`);
  if (name.includes('\0')) throw invalidArg(`${field} ${JSON.stringify(name)}${owner} contains a NUL character`);
  if (name.length > MAX_CONFINED_NAME_LENGTH) {
    throw invalidArg(`${field}${owner} is longer than ${MAX_CONFINED_NAME_LENGTH} characters`);
  }
  let root: string;
  try {
    root = await realpath(modelPath);
  } catch (e) {
    throw new InferenceError('UNAVAILABLE', `model folder '${modelPath}' cannot be resolved: ${(e as Error).message}`);
  }
  const roots = [components(resolve(modelPath)), components(root)];
  /** Components below the folder of an absolute path, or undefined when it lies elsewhere. */
  const inside = (abs: string): string[] | undefined => {
    const parts = nameComponents(abs);
    for (const r of roots) {
      const rest = below(parts, r);
      if (rest) return rest;
    }
    return undefined;
  };

  const base = inside(resolve(options.base ?? modelPath));
  if (!base) throw new Error(`resolveConfinedPath: base '${options.base}' is not inside '${modelPath}'`);
  let start: string[];
  if (isAbsolute(name)) {
    const rest = inside(name);
    if (!rest) throw outside();
    start = rest;
  } else {
    start = [...base, ...nameComponents(name)];
  }

  /** Nothing at `at` (or it is not a folder): what follows cannot exist; where it would be, if inside. */
  const missing = (at: string, rest: string[]): ConfinedPath => {
    const would = resolve(at, ...rest.reverse());
    if (would !== root && !would.startsWith(root + sep)) throw outside();
    return { path: would, kind: 'missing' };
  };

  // The walk: `pending` is a stack of the components still to resolve (next on top).
  const pending = start.reverse();
  let current = root;
  let hops = 0;
  let kind: ConfinedKind = 'directory';
  while (pending.length > 0) {
    const c = pending.pop()!;
    // `current` is always a directory here: a file followed by more components ended the walk.
    if (c === '.') continue;
    if (c === '..') {
      if (current === root) throw outside();
      current = dirname(current);
      continue;
    }
    const next = join(current, c);
    let st;
    try {
      st = await lstat(next);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw invalidArg(`${what} cannot be resolved: ${(e as Error).message}`);
      return missing(next, pending);
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw invalidArg(`${what}: too many levels of symbolic links`);
      const target = await readlink(next);
      if (isAbsolute(target)) {
        const rest = inside(target);
        if (!rest) throw outside();
        current = root;
        pending.push(...rest.reverse());
      } else {
        // A relative target is resolved from the link's own folder, which is `current`.
        pending.push(...nameComponents(target).reverse());
      }
      continue;
    }
    current = next;
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
    // A file in the middle of the path: the OS answers ENOTDIR, so nothing is there.
    if (kind !== 'directory' && pending.length > 0) return missing(next, pending);
  }
  return { path: current, kind };
}
