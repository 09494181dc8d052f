/**
 * The one rule for which file a client's shared-memory `key` may name. A key is a POSIX
 * shared-memory object name (what `shm_open` takes, as Triton passes it): leading slashes are
 * dropped and what remains must be one plain name, so the object is `<dir>/<name>` with `<dir>`
 * `/dev/shm` (Linux's tmpfs for POSIX shared memory). Nothing else on the machine can be named:
 * no `/` inside the name, no `.` or `..`, no NUL; the file is opened with `O_NOFOLLOW` (a symlink
 * is refused, even one inside `/dev/shm`) and must be a regular file on the same filesystem as
 * `<dir>` (a bind mount or another filesystem is refused).
 */
import { constants, promises as fsp, statSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArg, internal } from '../../core/errors.js';

/** Where POSIX shared-memory objects live on Linux. */
export const DEFAULT_SHM_DIR = '/dev/shm';

/** Triton's prefix for the regions its Python backend creates itself; clients may not use it. */
export const RESERVED_KEY_PREFIX = 'triton_python_backend_shm_region_';

/** The longest object name Linux accepts (NAME_MAX). */
const NAME_MAX = 255;

/**
 * The object name a key names, or an INVALID_ARG error (Triton's message for an all-slash key and
 * for the reserved prefix; ours for the rest).
 *
 * @example
 * ```ts
 * shmObjectName('r', '/input0_simple') // 'input0_simple'
 * ```
 */
export function shmObjectName(region: string, key: string): string {
  const name = key.replace(/^\/+/, '');
  if (name === '') {
    throw invalidArg(`cannot register shared memory region '${region}' - invalid shm key '${key}'`);
  }
  if (name.startsWith(RESERVED_KEY_PREFIX)) {
    throw invalidArg(
      `cannot register shared memory region '${region}' with key '${key}' as the key contains the reserved prefix '${RESERVED_KEY_PREFIX}'`,
    );
  }
  if (name.includes('/') || name === '.' || name === '..' || name.includes('\0') || name.length > NAME_MAX) {
    throw invalidArg(
      `cannot register shared memory region '${region}' - invalid shm key '${key}': a key names a POSIX shared ` +
        `memory object ('/name', one name of at most ${NAME_MAX} characters without '/', not '.' or '..')`,
    );
  }
  return name;
}

/**
 * Opens the shared-memory object a key names for reading and writing, confined to `dir`, and
 * returns the handle with the object's size. The caller closes the handle. Fails with Triton's
 * INTERNAL "Unable to open shared memory region: '<key>'" when it cannot be opened, with our
 * reason appended.
 *
 * @example
 * ```ts
 * const { handle, size } = await openShmObject('r', '/input0_simple', '/dev/shm');
 * ```
 */
export async function openShmObject(
  region: string,
  key: string,
  dir: string = DEFAULT_SHM_DIR,
): Promise<{ handle: fsp.FileHandle; size: number }> {
  const path = join(dir, shmObjectName(region, key));
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDWR | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'it is a symbolic link' : code === 'ENOENT' ? 'no such object' : code;
    throw internal(`Unable to open shared memory region: '${key}' (${why})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== statSync(dir).dev) {
      throw internal(`Unable to open shared memory region: '${key}' (not a shared memory object in ${dir})`);
    }
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
