import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerLogger, type LoggerSettings } from './create-logger.js';
import { SettingsError } from './setting-values.js';
import { LogSettingsStore } from '../core/log-settings.js';

const BASE: LoggerSettings = {
  logLevel: 'info',
  logFormat: 'default',
  logEncoding: 'auto',
  logInfo: true,
  logWarning: true,
  logError: true,
};

function sink(isTTY: boolean): { lines: string[]; write(line: string): void; isTTY: boolean } {
  const lines: string[] = [];
  return { lines, isTTY, write: (line) => void lines.push(line) };
}

test('auto: text on a terminal, JSON elsewhere; explicit encodings win', () => {
  const tty = sink(true);
  createServerLogger(BASE, tty).logger.info({ model: 'm' }, 'ready');
  assert.match(tty.lines[0]!, /^I\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ tensorgate\] ready model=m\n$/);

  const pipe = sink(false);
  createServerLogger(BASE, pipe).logger.info({ model: 'm' }, 'ready');
  assert.equal((JSON.parse(pipe.lines[0]!) as { msg: string }).msg, 'ready');

  const asked = sink(false);
  assert.equal(createServerLogger({ ...BASE, logEncoding: 'text' }, asked).encoding, 'text');
  const json = sink(true);
  assert.equal(createServerLogger({ ...BASE, logEncoding: 'json' }, json).encoding, 'json');
});

test('one msg per line: a msg field moves to message', () => {
  const out = sink(false);
  createServerLogger(BASE, out).logger.warn({ msg: 'field', status: 400 }, 'rejected');
  const line = out.lines[0]!;
  assert.equal(line.match(/"msg"/g)?.length, 1);
  assert.deepEqual(JSON.parse(line), { ...JSON.parse(line), msg: 'rejected', message: 'field', status: 400 });
});

test("Triton's severity switches drop a severity between others, and the logging API drives them", () => {
  const out = sink(false);
  const { logger, output } = createServerLogger({ ...BASE, logWarning: false }, out);
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  assert.deepEqual(
    out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['i', 'e'],
  );

  const store = new LogSettingsStore(logger, output);
  assert.equal(store.get().log_warning, false);
  store.update({ log_warning: true, log_error: false, log_format: 'ISO8601' });
  out.lines.length = 0;
  logger.warn('w2');
  logger.error('e2');
  assert.deepEqual(
    out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['w2'],
  );
  assert.equal(output.state.format, 'ISO8601');
  assert.match((JSON.parse(out.lines[0]!) as { time: string }).time, /^\d{4}-\d\d-\d\dT/);
});

test('--log-file appends JSON lines unless text is asked; an unopenable file is a SettingsError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tensorgate-log-'));
  try {
    const file = join(dir, 'server.log');
    const { logger, encoding } = createServerLogger({ ...BASE, logFile: file }, sink(true));
    assert.equal(encoding, 'json');
    logger.info({ model: 'm' }, 'ready');
    assert.equal((JSON.parse((await readFile(file, 'utf8')).trim()) as { model: string }).model, 'm');
    createServerLogger({ ...BASE, logFile: file, logEncoding: 'text' }).logger.info('second');
    assert.match((await readFile(file, 'utf8')).split('\n')[1]!, /^I\d{4} .* tensorgate\] second$/);
    assert.throws(
      () => createServerLogger({ ...BASE, logFile: join(dir, 'no', 'such', 'dir.log') }),
      (e: unknown) => e instanceof SettingsError && /--log-file '.*dir\.log' cannot be opened/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
