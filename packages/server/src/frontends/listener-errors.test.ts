import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import type { Clock } from '../core/clock.js';
import { LISTENER_ERROR_LOG_PERIOD_MS, logListenerErrors } from './listener-errors.js';

function emfile(): NodeJS.ErrnoException {
  return Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
}

test('listener errors are logged at most once per period, with the count of the others, and never throw', () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let now = 0;
  const clock: Clock = { nowNs: () => now, wallMs: () => now / 1e6, setTimer: () => () => undefined };
  const server = new EventEmitter();
  logListenerErrors(server, logger, 'HTTP', clock);
  for (let i = 0; i < 500; i++) server.emit('error', emfile());
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!['code'], 'EMFILE');
  assert.equal(lines[0]!['listener'], 'HTTP');
  assert.match(String(lines[0]!['msg']), /out of file descriptors/);
  now += LISTENER_ERROR_LOG_PERIOD_MS * 1e6;
  server.emit('error', emfile());
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!['suppressed'], 499);
});
