import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { CancelSource, toAbortSignal, type CancelSignal } from './cancel-signal.js';
import { InferenceError } from './errors.js';

describe('CancelSource', () => {
  test('runs function and handleEvent listeners once, in the order added', () => {
    const s = new CancelSource();
    const seen: string[] = [];
    s.addEventListener('abort', () => seen.push('a'));
    s.addEventListener('abort', { handleEvent: () => seen.push('b') });
    s.addEventListener('abort', () => seen.push('c'));
    assert.equal(s.aborted, false);
    const reason = new InferenceError('CANCELLED', 'gone');
    s.abort(reason);
    s.abort(new InferenceError('DEADLINE_EXCEEDED', 'late'));
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(s.aborted, true);
    assert.equal(s.reason, reason, 'the first reason stays');
  });

  test('removed listeners are not called, whichever position they had', () => {
    const s = new CancelSource();
    const seen: string[] = [];
    const a = (): number => seen.push('a');
    const b = { handleEvent: (): number => seen.push('b') };
    const c = (): number => seen.push('c');
    s.addEventListener('abort', a);
    s.addEventListener('abort', b);
    s.addEventListener('abort', c);
    s.removeEventListener('abort', a);
    s.removeEventListener('abort', c);
    s.removeEventListener('abort', () => {}); // unknown: no effect
    s.abort();
    assert.deepEqual(seen, ['b']);
  });

  test('a listener added twice runs once, as on an EventTarget', () => {
    const s = new CancelSource();
    let calls = 0;
    const l = (): number => calls++;
    s.addEventListener('abort', () => {});
    s.addEventListener('abort', l);
    s.addEventListener('abort', l);
    s.abort();
    assert.equal(calls, 1);
  });

  test('a listener added after the abort is never called', () => {
    const s = new CancelSource();
    s.abort('why');
    let called = false;
    s.addEventListener('abort', () => (called = true));
    assert.equal(called, false);
  });

  test('abortSignal is one real AbortSignal that follows the source', () => {
    const s = new CancelSource();
    const signal = s.abortSignal;
    assert.ok(signal instanceof AbortSignal);
    assert.equal(s.abortSignal, signal);
    assert.equal(signal.aborted, false);
    s.abort('stop');
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'stop');

    const late = new CancelSource();
    late.abort('earlier');
    assert.equal(late.abortSignal.aborted, true);
    assert.equal(late.abortSignal.reason, 'earlier');
  });

  test('abortSignal stops events.once waiting on an emitter', async () => {
    const s = new CancelSource();
    const waiting = once(new EventEmitter(), 'drain', { signal: s.abortSignal });
    s.abort(new InferenceError('CANCELLED', 'client left'));
    await assert.rejects(waiting, { name: 'AbortError' });
  });
});

describe('toAbortSignal', () => {
  test('returns a real AbortSignal as it is and a CancelSource bridge', () => {
    const controller = new AbortController();
    assert.equal(toAbortSignal(controller.signal), controller.signal);
    const s = new CancelSource();
    assert.equal(toAbortSignal(s), s.abortSignal);
  });

  test('follows any other CancelSignal', () => {
    let listener: (() => void) | undefined;
    const other: CancelSignal & { aborted: boolean; reason: unknown } = {
      aborted: false,
      reason: undefined,
      addEventListener: (_t, l) => {
        listener = typeof l === 'function' ? l : () => l.handleEvent();
      },
      removeEventListener: () => {},
    };
    const signal = toAbortSignal(other);
    assert.equal(signal.aborted, false);
    other.aborted = true;
    other.reason = 'bye';
    listener?.();
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'bye');
  });

  test('an already aborted signal gives an aborted AbortSignal', () => {
    const other: CancelSignal = {
      aborted: true,
      reason: 'done',
      addEventListener: () => assert.fail('must not listen'),
      removeEventListener: () => {},
    };
    assert.equal(toAbortSignal(other).reason, 'done');
  });
});
