import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { codeFromGrpcStatus, codeFromHttpStatus, InferenceServerError, type ErrorCode } from './errors.js';
import { backoffDelay, isRetryable, retryPolicy, withRetries, type RetryContext } from './retry.js';

const err = (code: ErrorCode, retryAfterMs?: number) => new InferenceServerError(code, { code, retryAfterMs });

describe('backoff schedule', () => {
  const policy = retryPolicy({ maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 });

  test('the cap doubles per retry up to maxDelayMs; full jitter scales it by random()', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffDelay(n, policy, () => 0.25)),
      [25, 50, 100],
    );
    assert.equal(
      backoffDelay(3, policy, () => 0),
      0,
    );
  });

  test('a Retry-After hint raises the delay, still capped', () => {
    assert.equal(
      backoffDelay(1, policy, () => 0.5, 300),
      300,
    );
    assert.equal(
      backoffDelay(1, policy, () => 0.5, 60_000),
      1000,
    );
    assert.equal(
      backoffDelay(3, policy, () => 1, 10),
      400,
    );
  });
});

describe('withRetries', () => {
  const run = async (codes: ErrorCode[], maxAttempts: number) => {
    const delays: number[] = [];
    let calls = 0;
    const outcome = await withRetries(
      async () => {
        const code = codes[calls++];
        if (code !== undefined) throw err(code);
        return 'ok';
      },
      retryPolicy({ maxAttempts, initialDelayMs: 10, multiplier: 3, maxDelayMs: 1000 }),
      undefined,
      { random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    ).catch((e: InferenceServerError) => e.code);
    return { outcome, calls, delays };
  };

  test('retries UNAVAILABLE and RESOURCE_EXHAUSTED with the backoff schedule', async () => {
    assert.deepEqual(await run(['UNAVAILABLE', 'RESOURCE_EXHAUSTED'], 5), { outcome: 'ok', calls: 3, delays: [5, 15] });
  });

  test('does not retry other codes', async () => {
    for (const code of ['INVALID_ARG', 'NOT_FOUND', 'DEADLINE_EXCEEDED', 'CANCELLED', 'INTERNAL'] as const) {
      assert.deepEqual(await run([code], 5), { outcome: code, calls: 1, delays: [] });
    }
  });

  test('stops after maxAttempts and throws the last error; 1 attempt means no retries', async () => {
    assert.deepEqual(await run(['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE'], 2), {
      outcome: 'UNAVAILABLE',
      calls: 2,
      delays: [5],
    });
    assert.deepEqual(await run(['UNAVAILABLE'], 1), { outcome: 'UNAVAILABLE', calls: 1, delays: [] });
  });

  test('an abort during the wait ends the retries with the abort reason', async () => {
    const controller = new AbortController();
    const reason = err('CANCELLED');
    let calls = 0;
    const pending = withRetries(
      async () => {
        calls++;
        throw err('UNAVAILABLE');
      },
      retryPolicy({ maxAttempts: 5, initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 }),
      controller.signal,
      { random: () => 1 },
    );
    setImmediate(() => controller.abort(reason));
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(calls, 1);
  });

  test('an already aborted signal stops before any retry', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    const failing = async () => {
      calls++;
      throw err('UNAVAILABLE');
    };
    await assert.rejects(withRetries(failing, retryPolicy({ maxAttempts: 5 }), controller.signal), /UNAVAILABLE/);
    assert.equal(calls, 1);
  });
});

describe('which failures are retried', () => {
  const unavailable = (notDelivered: boolean) => new InferenceServerError('x', { code: 'UNAVAILABLE', notDelivered });
  const policy = retryPolicy({ maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 1000 });
  const attempts = async (errors: InferenceServerError[], context: RetryContext) => {
    let calls = 0;
    const delays: number[] = [];
    // The clock advances by the waits only.
    const now = () => delays.reduce((a, b) => a + b, 0);
    const outcome = await withRetries(
      async () => {
        const e = errors[calls++];
        if (e !== undefined) throw e;
        return 'ok';
      },
      policy,
      undefined,
      { random: () => 1, sleep: async (ms) => void delays.push(ms), now },
      context,
    ).catch((e: InferenceServerError) => e.code);
    return { outcome, calls, delays };
  };

  test('idempotent calls retry any UNAVAILABLE; a sequence request only an undelivered one', async () => {
    assert.equal(isRetryable(unavailable(false), policy), true);
    assert.equal(isRetryable(unavailable(false), policy, false), false);
    assert.equal(isRetryable(unavailable(true), policy, false), true);
    assert.equal(isRetryable(err('INTERNAL'), policy), false);
    assert.deepEqual(await attempts([unavailable(false)], { idempotent: false }), {
      outcome: 'UNAVAILABLE',
      calls: 1,
      delays: [],
    });
    assert.deepEqual(await attempts([unavailable(true), unavailable(true)], { idempotent: false }), {
      outcome: 'ok',
      calls: 3,
      delays: [10, 20],
    });
  });

  test('undelivered failures get transparent retries on top of maxAttempts, even with retries off', async () => {
    const off = retryPolicy({ initialDelayMs: 10 });
    let calls = 0;
    const run = (errors: InferenceServerError[], policy = off) => {
      calls = 0;
      return withRetries(
        async () => {
          const e = errors[calls++];
          if (e !== undefined) throw e;
          return 'ok';
        },
        policy,
        undefined,
        { sleep: async () => undefined },
        { idempotent: false },
      ).catch((e: InferenceServerError) => e.code);
    };
    assert.equal(await run([unavailable(true), unavailable(true)]), 'ok');
    assert.equal(calls, 3);
    assert.equal(await run([unavailable(true), unavailable(true), unavailable(true)]), 'UNAVAILABLE');
    assert.equal(calls, 3);
    assert.equal(await run([unavailable(false)]), 'UNAVAILABLE', 'a possibly delivered failure is not transparent');
    assert.equal(calls, 1);
    assert.equal(await run([unavailable(true)], retryPolicy({ transparentRetries: 0 })), 'UNAVAILABLE');
    assert.equal(calls, 1);
  });

  test('no retry starts whose wait would end past the deadline: the last error is thrown', async () => {
    // The first wait (0 → 10 ms) ends before the deadline, the second (10 → 30 ms) would not.
    assert.deepEqual(await attempts([unavailable(false), unavailable(false)], { deadline: 25 }), {
      outcome: 'UNAVAILABLE',
      calls: 2,
      delays: [10],
    });
  });

  test('waitForReady retries undelivered failures past maxAttempts, until the deadline', async () => {
    const many = Array.from({ length: 9 }, () => unavailable(true));
    assert.deepEqual((await attempts(many, { waitForReady: true, deadline: 1e9 })).outcome, 'ok');
    assert.equal((await attempts(many, { waitForReady: true, deadline: 1e9 })).calls, 10);
    // Without waitForReady the same failures stop at maxAttempts plus the 2 transparent retries.
    assert.equal((await attempts(many, {})).calls, 6);
    // A delivered failure still counts against maxAttempts.
    assert.equal(
      (
        await attempts(
          Array.from({ length: 9 }, () => unavailable(false)),
          { waitForReady: true },
        )
      ).calls,
      4,
    );
  });
});

describe('status mappings', () => {
  test('HTTP statuses', () => {
    const table: Array<[number, ErrorCode]> = [
      [400, 'INVALID_ARG'],
      [404, 'NOT_FOUND'],
      [409, 'ALREADY_EXISTS'],
      [429, 'RESOURCE_EXHAUSTED'],
      [499, 'CANCELLED'],
      [500, 'INTERNAL'],
      [501, 'UNSUPPORTED'],
      [502, 'UNAVAILABLE'],
      [503, 'UNAVAILABLE'],
      [504, 'DEADLINE_EXCEEDED'],
      [401, 'UNAUTHENTICATED'],
      [403, 'PERMISSION_DENIED'],
    ];
    for (const [status, code] of table) assert.equal(codeFromHttpStatus(status), code, String(status));
  });
  test('gRPC statuses', () => {
    const table: Array<[number, ErrorCode]> = [
      [1, 'CANCELLED'],
      [2, 'UNKNOWN'],
      [3, 'INVALID_ARG'],
      [4, 'DEADLINE_EXCEEDED'],
      [5, 'NOT_FOUND'],
      [8, 'RESOURCE_EXHAUSTED'],
      [12, 'UNSUPPORTED'],
      [13, 'INTERNAL'],
      [14, 'UNAVAILABLE'],
      [16, 'UNAUTHENTICATED'],
    ];
    for (const [status, code] of table) assert.equal(codeFromGrpcStatus(status), code, String(status));
  });
});
