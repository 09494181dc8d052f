import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { pino } from 'pino';
import { parseSettings } from './settings.js';
import { runServe, type StartServer } from './serve.js';

const settings = parseSettings(['--model-repository', '/models'], {});
const logger = pino({ level: 'silent' });

interface Harness {
  signals: EventEmitter;
  exits: number[];
  stderr: string[];
  shutdowns: Array<string | undefined>;
  exited: Promise<unknown>;
}

function harness(): Harness & { exit(code: number): void } {
  const exitEvents = new EventEmitter();
  const h = {
    signals: new EventEmitter(),
    exits: [] as number[],
    stderr: [] as string[],
    shutdowns: [] as Array<string | undefined>,
    exited: once(exitEvents, 'exit'),
    exit(code: number) {
      h.exits.push(code);
      exitEvents.emit('exit', code);
    },
  };
  return h;
}

function deps(h: ReturnType<typeof harness>, createServer: StartServer) {
  return {
    logger,
    createServer,
    signals: h.signals,
    exit: (code: number) => h.exit(code),
    stderr: (line: string) => void h.stderr.push(line),
  };
}

describe('runServe', () => {
  test('passes the settings and logger to createServer', async () => {
    const h = harness();
    let seen: unknown;
    const running = await runServe(
      settings,
      deps(h, async (s, d) => {
        seen = { s, logger: d.logger };
        return { ports: { http: 1 }, shutdown: async () => {} };
      }),
    );
    assert.deepEqual(seen, { s: settings, logger });
    assert.deepEqual(running?.ports, { http: 1 });
    assert.deepEqual(h.exits, []);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: shutdown(${signal}) then exit 0`, async () => {
      const h = harness();
      await runServe(
        settings,
        deps(h, async () => ({
          ports: {},
          shutdown: async (reason) => void h.shutdowns.push(reason),
        })),
      );
      h.signals.emit(signal);
      await h.exited;
      assert.deepEqual(h.shutdowns, [signal]);
      assert.deepEqual(h.exits, [0]);
    });
  }

  test('a second signal during shutdown exits 1 at once', async () => {
    const h = harness();
    let finish: () => void = () => {};
    await runServe(
      settings,
      deps(h, async () => ({
        ports: {},
        shutdown: (reason) => {
          h.shutdowns.push(reason);
          return new Promise<void>((resolve) => (finish = resolve));
        },
      })),
    );
    h.signals.emit('SIGTERM');
    h.signals.emit('SIGINT');
    assert.deepEqual(h.exits, [1]);
    assert.deepEqual(h.shutdowns, ['SIGTERM']); // not called twice
    finish();
  });

  test('a failing shutdown exits 1 with a message', async () => {
    const h = harness();
    await runServe(
      settings,
      deps(h, async () => ({
        ports: {},
        shutdown: async () => {
          throw new Error('models would not unload');
        },
      })),
    );
    h.signals.emit('SIGTERM');
    await h.exited;
    assert.deepEqual(h.exits, [1]);
    assert.deepEqual(h.stderr, ['tensorgate: shutdown failed: models would not unload']);
  });

  test('a startup failure prints one clear line and exits 1', async () => {
    const h = harness();
    const running = await runServe(
      settings,
      deps(h, async () => {
        throw new Error("model repository '/models' does not exist");
      }),
    );
    assert.equal(running, undefined);
    assert.deepEqual(h.exits, [1]);
    assert.deepEqual(h.stderr, ["tensorgate: startup failed: model repository '/models' does not exist"]);
    assert.equal(h.signals.listenerCount('SIGTERM'), 0, 'no handlers when nothing started');
  });
});
