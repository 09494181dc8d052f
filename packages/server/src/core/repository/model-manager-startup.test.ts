/**
 * Start-up loading as Triton's launch flags shape it: --model-load-thread-count,
 * --model-load-retry-count and --exit-on-error.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Backend, BackendModel } from '../../backend-api/backend.js';
import { systemClock } from '../clock.js';
import { ModelManager, type ModelManagerOptions } from './model-manager.js';
import { ModelRepository } from './model-repository.js';

const roots: string[] = [];
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

/** A repository of models `names`, each version 1, served by the `fake` backend. */
async function repository(names: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tg-startup-'));
  roots.push(root);
  for (const name of names) {
    await mkdir(join(root, name, '1'), { recursive: true });
    await writeFile(
      join(root, name, 'config.pbtxt'),
      `name: "${name}"\nbackend: "fake"\ninput [ { name: "I", data_type: TYPE_INT32, dims: [ 1 ] } ]\n` +
        'output [ { name: "O", data_type: TYPE_INT32, dims: [ 1 ] } ]\n',
    );
  }
  return root;
}

const MODEL: BackendModel = {
  instances: [
    { name: 'i', execute: () => Promise.resolve({ computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 }) },
  ],
  unload: () => Promise.resolve(),
};

/**
 * A backend whose loads wait until released (so the test sees how many run at once) and fail
 * `failures[name]` times first.
 */
function gatedBackend(failures: Record<string, number> = {}): Backend & {
  running: number;
  most: number;
  attempts: Record<string, number>;
  release(): void;
} {
  const waiting: Array<() => void> = [];
  const b = {
    name: 'fake',
    running: 0,
    most: 0,
    attempts: {} as Record<string, number>,
    release: () => waiting.splice(0).forEach((go) => go()),
    loadModel: async (ctx: { name: string }): Promise<BackendModel> => {
      b.attempts[ctx.name] = (b.attempts[ctx.name] ?? 0) + 1;
      b.running++;
      b.most = Math.max(b.most, b.running);
      await new Promise<void>((resolve) => waiting.push(resolve));
      b.running--;
      if ((failures[ctx.name] ?? 0) >= b.attempts[ctx.name]!) throw new Error(`${ctx.name} failed`);
      return MODEL;
    },
  };
  return b;
}

function manager(root: string, backend: Backend, extra: Partial<ModelManagerOptions>): ModelManager {
  return new ModelManager({
    repository: new ModelRepository(root),
    controlMode: 'none',
    startupModels: [],
    pollSecs: 1,
    autoComplete: false,
    backends: [backend],
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    observer: {},
    ...extra,
  });
}

/** Runs `start()`, releasing the gated loads until it settles. */
async function startReleasing(m: ModelManager, backend: { release(): void }): Promise<unknown> {
  let settled = false;
  const started = m.start().then(
    () => ((settled = true), undefined),
    (e: unknown) => ((settled = true), e),
  );
  while (!settled) {
    await new Promise((r) => setImmediate(r));
    backend.release();
  }
  return started;
}

describe('start-up loading', () => {
  test('--model-load-thread-count models load at once, never more', { timeout: 120_000 }, async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const backend = gatedBackend();
    const m = manager(await repository(names), backend, { loadThreadCount: 4 });
    const started = m.start();
    // Wait (no time limit: only the eventual state) until the first loads reach the backend.
    while (backend.running < 4) await new Promise((r) => setTimeout(r, 5));
    while (Object.values(backend.attempts).length < names.length || backend.running > 0) {
      backend.release();
      await new Promise((r) => setTimeout(r, 1));
    }
    await started;
    assert.equal(backend.most, 4);
    assert.deepEqual(
      m
        .servingVersions()
        .map((v) => v.name)
        .sort(),
      names,
    );
    await m.stop();
  });

  test('--model-load-retry-count tries a failed load again', async () => {
    const backend = gatedBackend({ a: 2 });
    const m = manager(await repository(['a']), backend, { loadRetryCount: 2, exitOnError: true });
    assert.equal(await startReleasing(m, backend), undefined);
    assert.equal(backend.attempts['a'], 3);
    assert.deepEqual(
      m.servingVersions().map((v) => v.name),
      ['a'],
    );
    await m.stop();
  });

  test('--exit-on-error: start() fails naming every model that failed, after trying them all', async () => {
    const backend = gatedBackend({ a: 1, c: 1 });
    const m = manager(await repository(['a', 'b', 'c']), backend, { exitOnError: true, loadThreadCount: 2 });
    const err = (await startReleasing(m, backend)) as { code?: string; message?: string };
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message ?? '', /^failed to load models at start-up: '(a|c)': \1 failed; '(a|c)': \2 failed$/);
    assert.ok(err.message?.includes("'a': a failed") && err.message.includes("'c': c failed"));
    assert.deepEqual(
      m.servingVersions().map((v) => v.name),
      ['b'],
    );
    await m.stop();

    const lenient = gatedBackend({ a: 1 });
    const m2 = manager(await repository(['a', 'b']), lenient, { exitOnError: false });
    assert.equal(await startReleasing(m2, lenient), undefined);
    assert.equal(m2.allReady(), false);
    await m2.stop();
  });
});
