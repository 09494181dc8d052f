/** The server-wide ceiling on open gRPC calls: counting, refusing, and one warning per period. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Clock } from '../../core/clock.js';
import { CALL_LIMIT_LOG_PERIOD_MS, CallLimit } from './call-limit.js';

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

test('counts calls up to the ceiling, refuses past it, and takes calls again as they close', () => {
  const calls = new CallLimit(2);
  assert.equal(calls.tryOpen(), true);
  assert.equal(calls.tryOpen(), true);
  assert.equal(calls.tryOpen(), false);
  assert.equal(calls.openCalls, 2);
  calls.close();
  assert.equal(calls.tryOpen(), true);
  for (let i = 0; i < 5; i++) calls.close();
  assert.equal(calls.openCalls, 0, 'never below zero');
});

test('refusals are logged at most once per period, with how many were refused', () => {
  let now = 0;
  const clock: Clock = { nowNs: () => now, wallMs: () => 0, setTimer: () => () => undefined };
  const { logger, lines } = capture();
  const calls = new CallLimit(1, logger, clock);
  calls.tryOpen();
  for (let i = 0; i < 5; i++) calls.tryOpen();
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!['maxConcurrentCalls'], 1);
  assert.match(String(lines[0]!['msg']), /refusing new calls \(REFUSED_STREAM\)/);
  now += CALL_LIMIT_LOG_PERIOD_MS * 1e6;
  calls.tryOpen();
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!['refused'], 5, 'the four suppressed ones and this one');
});
