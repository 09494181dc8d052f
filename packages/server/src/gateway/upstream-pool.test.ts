import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NoUpstreamError } from './upstream-errors.js';
import { UpstreamPool, type GatewayClock, type UpstreamTransport } from './upstream-pool.js';

/** A clock whose time only moves when the test says so. */
function fakeClock(): GatewayClock & { advance(ms: number): Promise<void>; pending(): number } {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  return {
    now: () => now,
    setTimer(fn, ms) {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return () => {
        timers = timers.filter((t) => t.id !== id);
      };
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > end) break;
        timers.shift();
        now = t.at;
        t.fn();
        await flush();
      }
      now = end;
      await flush();
    },
    pending: () => timers.length,
  };
}

interface FakeTransport extends UpstreamTransport {
  ready: boolean | 'hang';
  checks: number;
  closed: boolean;
}

function setup(addresses = ['a:1', 'b:1'], interval = 1000) {
  const clock = fakeClock();
  const transports = new Map<string, FakeTransport>();
  const pool = new UpstreamPool<FakeTransport>({
    addresses,
    healthIntervalMs: interval,
    healthTimeoutMs: 100,
    clock,
    createTransport: (address) => {
      const t: FakeTransport = {
        ready: true,
        checks: 0,
        closed: false,
        isServerReady() {
          t.checks++;
          if (t.ready === 'hang') return new Promise<boolean>(() => undefined);
          return t.ready
            ? Promise.resolve(true)
            : Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'UNAVAILABLE' }));
        },
        close() {
          t.closed = true;
        },
      };
      transports.set(address, t);
      return t;
    },
  });
  return { pool, clock, t: (a: string) => transports.get(a)! };
}

const readyOf = (pool: UpstreamPool<FakeTransport>): Record<string, boolean> =>
  Object.fromEntries(pool.status().map((s) => [s.address, s.ready]));

/** A request that stays in flight until released. */
function held(pool: UpstreamPool<FakeTransport>, log: string[]) {
  let release!: () => void;
  const done = pool.run(async (_t, address) => {
    log.push(address);
    await new Promise<void>((r) => (release = r));
    return address;
  });
  return { done, release: () => release() };
}

describe('upstream pool', () => {
  test('starts with a health check; not-ready upstreams stay out', async () => {
    const { pool, t } = setup();
    t('b:1').ready = false;
    await pool.start();
    assert.deepEqual(readyOf(pool), { 'a:1': true, 'b:1': false });
    assert.deepEqual(pool.status()[1], {
      address: 'b:1',
      ready: false,
      inFlight: 0,
      requests: 0,
      lastError: 'connect ECONNREFUSED',
    });
    assert.equal(pool.anyReady(), true);
    for (let i = 0; i < 3; i++) assert.equal(await pool.run(async (_t, a) => a), 'a:1');
    await pool.close();
  });

  test('sequential requests alternate (ties go round-robin)', async () => {
    const { pool } = setup(['a:1', 'b:1', 'c:1']);
    await pool.start();
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await pool.run(async (_t, a) => a));
    assert.deepEqual(seen, ['a:1', 'b:1', 'c:1', 'a:1', 'b:1', 'c:1']);
    assert.deepEqual(
      pool.status().map((s) => s.requests),
      [2, 2, 2],
    );
    await pool.close();
  });

  test('least loaded: the upstream with fewest requests in flight wins', async () => {
    const { pool } = setup();
    await pool.start();
    const log: string[] = [];
    const r1 = held(pool, log); // a (tie, first)
    const r2 = held(pool, log); // b (tie, next in turn)
    const r3 = held(pool, log); // a (tie 1-1, a's turn)
    r2.release();
    await r2.done;
    const r4 = held(pool, log); // b: 0 in flight against a's 2
    const r5 = held(pool, log); // b again: 1 against 2
    assert.deepEqual(log, ['a:1', 'b:1', 'a:1', 'b:1', 'b:1']);
    assert.deepEqual(
      pool.status().map((s) => s.inFlight),
      [2, 2],
    );
    for (const r of [r1, r3, r4, r5]) r.release();
    await Promise.all([r1.done, r3.done, r4.done, r5.done]);
    assert.deepEqual(
      pool.status().map((s) => s.inFlight),
      [0, 0],
    );
    await pool.close();
  });

  test('an upstream that fails its check leaves the pool and comes back when it passes', async () => {
    const { pool, clock, t } = setup();
    await pool.start();
    t('a:1').ready = false;
    await clock.advance(999);
    assert.deepEqual(readyOf(pool), { 'a:1': true, 'b:1': true }, 'no check before the interval');
    await clock.advance(1);
    assert.deepEqual(readyOf(pool), { 'a:1': false, 'b:1': true });
    for (let i = 0; i < 3; i++) assert.equal(await pool.run(async (_t, a) => a), 'b:1');
    t('a:1').ready = true;
    await clock.advance(1000);
    assert.deepEqual(readyOf(pool), { 'a:1': true, 'b:1': true });
    t('a:1').ready = false;
    t('b:1').ready = false;
    await clock.advance(1000);
    assert.equal(pool.anyReady(), false);
    await assert.rejects(
      pool.run(async () => 'never'),
      (err: unknown) => err instanceof NoUpstreamError,
    );
    await pool.close();
  });

  test('a check that hangs times out and counts as not ready', async () => {
    const { pool, clock, t } = setup();
    await pool.start();
    t('b:1').ready = 'hang';
    await clock.advance(1000);
    assert.equal(readyOf(pool)['b:1'], true, 'still waiting for the answer');
    await clock.advance(100);
    assert.deepEqual(pool.status()[1]?.lastError, 'readiness check timed out');
    assert.equal(readyOf(pool)['b:1'], false);
    await pool.close();
  });

  test('a retryable failure is retried on another upstream and re-checks the failed one', async () => {
    const { pool, t } = setup();
    await pool.start();
    const checksBefore = t('a:1').checks;
    const tried: string[] = [];
    const result = await pool.run(async (_t, a) => {
      tried.push(a);
      if (a === 'a:1') throw Object.assign(new Error('Connection dropped'), { code: 'UNAVAILABLE' });
      return 'ok';
    });
    assert.equal(result, 'ok');
    assert.deepEqual(tried, ['a:1', 'b:1']);
    assert.equal(t('a:1').checks, checksBefore + 1);
    await pool.close();
  });

  test('client errors are never retried; the last retryable error is thrown when all fail', async () => {
    const { pool } = setup();
    await pool.start();
    const tried: string[] = [];
    await assert.rejects(
      pool.run(async (_t, a) => {
        tried.push(a);
        throw Object.assign(new Error('bad input'), { code: 'INVALID_ARG' });
      }),
      /bad input/,
    );
    assert.equal(tried.length, 1);
    tried.length = 0;
    await assert.rejects(
      pool.run(async (_t, a) => {
        tried.push(a);
        throw Object.assign(new Error(`down ${a}`), { code: 'UNAVAILABLE' });
      }),
      /down a:1/,
    );
    assert.deepEqual(tried, ['b:1', 'a:1'], 'each upstream once, starting with the next in turn');
    tried.length = 0;
    await assert.rejects(
      pool.run(
        async (_t, a) => {
          tried.push(a);
          throw Object.assign(new Error('gone'), { code: 'UNAVAILABLE' });
        },
        { canRetry: () => false },
      ),
      /gone/,
    );
    assert.equal(tried.length, 1);
    await pool.close();
  });

  test('close stops the checks and closes every transport', async () => {
    const { pool, clock, t } = setup();
    await pool.start();
    assert.equal(clock.pending(), 1);
    await pool.close();
    assert.equal(clock.pending(), 0);
    assert.ok(t('a:1').closed && t('b:1').closed);
    const checks = t('a:1').checks;
    await clock.advance(5000);
    assert.equal(t('a:1').checks, checks);
  });

  test('needs an address; duplicates are merged', () => {
    assert.throws(
      () => new UpstreamPool({ addresses: [], healthIntervalMs: 10, createTransport: () => ({}) as UpstreamTransport }),
      /at least one upstream/,
    );
    const { pool } = setup(['a:1', 'a:1']);
    assert.equal(pool.status().length, 1);
  });
});
