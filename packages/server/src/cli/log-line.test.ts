import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogLine } from './log-line.js';

const T = Date.UTC(2026, 11, 6, 7, 0, 0, 123);

test("Triton's default layout: letter, MMDD time with microseconds, pid, component, message, fields", () => {
  const line = formatLogLine(
    {
      level: 30,
      time: T,
      pid: 1234,
      hostname: 'h',
      name: 'tensorgate',
      msg: 'model ready',
      model: 'simple',
      versions: [1],
    },
    'default',
  );
  assert.equal(line, 'I1206 07:00:00.123000 1234 tensorgate] model ready model=simple versions=[1]');
});

test('ISO8601 layout and the severity letters', () => {
  const at = (level: number): string => formatLogLine({ level, time: T, pid: 1, msg: 'm' }, 'ISO8601');
  assert.equal(at(30), '2026-12-06T07:00:00Z I 1 tensorgate] m');
  assert.deepEqual(
    [10, 20, 30, 40, 50, 60].map((l) => formatLogLine({ level: l, time: T, pid: 1, msg: 'm' }, 'default')[0]),
    ['V', 'V', 'I', 'W', 'E', 'F'],
  );
});

test('the frontend is the component; strings with spaces are quoted; objects are JSON', () => {
  const line = formatLogLine(
    {
      level: 40,
      time: T,
      pid: 7,
      name: 'tensorgate',
      frontend: 'grpc',
      msg: 'x',
      reason: 'two words',
      n: 3,
      o: { a: 1 },
    },
    'default',
  );
  assert.equal(line, 'W1206 07:00:00.123000 7 grpc] x reason="two words" n=3 o={"a":1}');
});

test('control characters are escaped: one record stays one line; an error stack follows indented', () => {
  const line = formatLogLine(
    {
      level: 50,
      time: T,
      pid: 7,
      msg: 'bad\nI1206 forged line',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.js:1:1)' },
    },
    'default',
  );
  assert.equal(
    line,
    'E1206 07:00:00.123000 7 tensorgate] bad\\nI1206 forged line err="Error: boom"\n    at f (a.js:1:1)',
  );
});
