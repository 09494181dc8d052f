import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceError } from '../../core/errors.js';
import { SharedMemoryRegistry, SYNC_IO_MAX_BYTES } from './system-shared-memory.js';
import { shmObjectName } from './shm-key.js';

async function rejects(p: Promise<unknown> | (() => unknown), code: string, message: RegExp | string): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => {
      assert.ok(e instanceof InferenceError);
      assert.equal(e.code, code);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-shm-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('shmObjectName', () => {
  test('drops leading slashes; one plain name only', () => {
    assert.equal(shmObjectName('r', '/input0_simple'), 'input0_simple');
    assert.equal(shmObjectName('r', '//x'), 'x');
    assert.equal(shmObjectName('r', 'x'), 'x');
    for (const key of ['', '/', '///', '/a/b', '/..', '.', '/../etc/passwd', 'a\0b', `/${'n'.repeat(256)}`]) {
      assert.throws(() => shmObjectName('r', key), /^InferenceError: cannot register shared memory region 'r'/, key);
    }
    assert.throws(
      () => shmObjectName('r', '/triton_python_backend_shm_region_1'),
      /as the key contains the reserved prefix 'triton_python_backend_shm_region_'/,
    );
  });
});

describe('SharedMemoryRegistry', () => {
  test(
    'reads and writes ranges (small on the event loop, large on the thread pool) at region + tensor offsets',
    withDir(async (dir) => {
      const size = SYNC_IO_MAX_BYTES * 3;
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = i % 251;
      writeFileSync(join(dir, 'obj'), bytes);
      const shm = new SharedMemoryRegistry({ allowClientShm: true, dir });
      await shm.register('r', '/obj', 16, size - 16);
      for (const n of [8, SYNC_IO_MAX_BYTES * 2]) {
        const range = shm.acquire('r', 4, n);
        assert.deepEqual(Buffer.from(await range.read()), readFileSync(join(dir, 'obj')).subarray(20, 20 + n));
        const out = Buffer.alloc(n, n % 200);
        await range.write(out);
        assert.deepEqual(readFileSync(join(dir, 'obj')).subarray(20, 20 + n), out);
        range.release();
      }
      await shm.close();
    }),
  );

  test(
    "Triton's bounds: register inside the object, tensors inside the region",
    withDir(async (dir) => {
      writeFileSync(join(dir, 'obj'), Buffer.alloc(64));
      const shm = new SharedMemoryRegistry({ allowClientShm: true, dir });
      await rejects(
        shm.register('r', '/obj', 32, 33),
        'INVALID_ARG',
        "failed to register shared memory region 'r': invalid args",
      );
      await shm.register('r', '/obj', 32, 32);
      await rejects(shm.register('r', '/obj', 0, 1), 'ALREADY_EXISTS', "shared memory region 'r' already in manager");
      await rejects(() => shm.acquire('x', 0, 1), 'NOT_FOUND', "Unable to find shared memory region: 'x'");
      await rejects(() => shm.acquire('r', 32, 0), 'INVALID_ARG', "Invalid offset for shared memory region: 'r'");
      await rejects(
        () => shm.acquire('r', 1, 32),
        'INVALID_ARG',
        "Invalid offset + byte size for shared memory region: 'r'",
      );
      // The object shrank after registering: a clear error, not a short tensor.
      const range = shm.acquire('r', 0, 32);
      truncateSync(join(dir, 'obj'), 40);
      await rejects(
        range.read(),
        'INTERNAL',
        "shared memory region 'r' (key '/obj') is smaller than when it was registered",
      );
      await rejects(range.write(Buffer.alloc(32)), 'INTERNAL', /smaller than when it was registered/);
      range.release();
      await shm.close();
    }),
  );

  test(
    'confinement: symlinks, directories and other filesystems are refused',
    withDir(async (dir) => {
      const outside = mkdtempSync(join(tmpdir(), 'tg-outside-'));
      writeFileSync(join(outside, 'secret'), 'x'.repeat(64));
      symlinkSync(join(outside, 'secret'), join(dir, 'link'));
      mkdirSync(join(dir, 'sub'));
      const shm = new SharedMemoryRegistry({ allowClientShm: true, dir });
      await rejects(
        shm.register('a', '/link', 0, 1),
        'INTERNAL',
        "Unable to open shared memory region: '/link' (it is a symbolic link)",
      );
      await rejects(shm.register('b', '/sub', 0, 1), 'INTERNAL', /Unable to open shared memory region: '\/sub'/);
      await rejects(
        shm.register('c', '/none', 0, 1),
        'INTERNAL',
        "Unable to open shared memory region: '/none' (no such object)",
      );
      assert.deepEqual(shm.usage(), { regions: 0, bytes: 0 });
      rmSync(outside, { recursive: true, force: true });
    }),
  );

  test(
    'limits, disabled client shared memory, and a region unregistered while in use',
    withDir(async (dir) => {
      writeFileSync(join(dir, 'obj'), Buffer.alloc(100));
      const off = new SharedMemoryRegistry({ dir });
      await rejects(off.register('r', '/obj', 0, 1), 'UNSUPPORTED', /^Client shared memory is disabled/);
      assert.deepEqual(off.status(''), []);
      const shm = new SharedMemoryRegistry({ allowClientShm: true, dir, maxRegions: 2, maxBytes: 100 });
      await shm.register('a', '/obj', 0, 60);
      await rejects(shm.register('b', '/obj', 0, 41), 'RESOURCE_EXHAUSTED', /--shared-memory-max-bytes/);
      await shm.register('b', '/obj', 0, 40);
      await rejects(shm.register('c', '/obj', 0, 0), 'RESOURCE_EXHAUSTED', /--shared-memory-max-regions/);
      const range = shm.acquire('a', 0, 8);
      shm.unregister('a');
      shm.unregister('never-registered');
      assert.deepEqual(shm.usage(), { regions: 1, bytes: 40 });
      // Still readable by the request that holds it; the name is free again.
      assert.equal((await range.read()).byteLength, 8);
      await shm.register('a', '/obj', 0, 60);
      range.release();
      shm.unregister('');
      assert.deepEqual(shm.status(''), []);
      assert.deepEqual(shm.cudaStatus(''), []);
      shm.cudaUnregister();
      await rejects(() => shm.cudaRegister(), 'UNSUPPORTED', /^CUDA shared memory is not supported/);
      await shm.close();
    }),
  );
});
