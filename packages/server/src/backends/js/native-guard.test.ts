import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUARD_SLOT, guardedNativeCall, requestTermination, setNativeGuard, SHARED_SLOTS } from './native-guard.js';

test('native guard: termination waits for a guarded call to return, and no new call starts after it', async () => {
  const shared = new Int32Array(new SharedArrayBuffer(4 * SHARED_SLOTS));
  setNativeGuard(shared);
  try {
    // Outside any call: terminable at once, and from then on no guarded call may start.
    assert.equal(requestTermination(shared), true);
    await assert.rejects(
      guardedNativeCall(() => Promise.resolve(1)),
      /being terminated/,
    );

    Atomics.store(shared, GUARD_SLOT, 0);
    let release!: () => void;
    const inside = guardedNativeCall(() => new Promise<string>((res) => (release = () => res('done'))));
    assert.equal(requestTermination(shared), false, 'not while the call runs');
    assert.equal(requestTermination(shared), false, 'asking again changes nothing');
    release();
    assert.equal(await inside, 'done');
    assert.equal(requestTermination(shared), true, 'terminable once the call returned');
    await assert.rejects(
      guardedNativeCall(() => Promise.resolve(2)),
      /being terminated/,
    );

    // A call that throws leaves the guard as a returning one does.
    Atomics.store(shared, GUARD_SLOT, 0);
    await assert.rejects(
      guardedNativeCall(() => Promise.reject(new Error('ort failed'))),
      /ort failed/,
    );
    assert.equal(requestTermination(shared), true);
  } finally {
    setNativeGuard(undefined);
  }
  assert.equal(await guardedNativeCall(() => Promise.resolve(3)), 3, 'no guard outside a worker');
});
