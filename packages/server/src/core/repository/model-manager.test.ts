import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Backend } from '../../backend-api/backend.js';
import { systemClock } from '../clock.js';
import { ModelManager, RELOAD_FAILED_REASON, type ControlMode } from './model-manager.js';
import { ModelRepository } from './model-repository.js';

const roots: string[] = [];
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

/** A repository with one model `m` (version 1) served by the `fake` backend. */
async function repository(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tg-manager-'));
  roots.push(root);
  await mkdir(join(root, 'm', '1'), { recursive: true });
  await writeFile(
    join(root, 'm', 'config.pbtxt'),
    'name: "m"\nbackend: "fake"\ninput [ { name: "I", data_type: TYPE_INT32, dims: [ 1 ] } ]\n' +
      'output [ { name: "O", data_type: TYPE_INT32, dims: [ 1 ] } ]\n',
  );
  return root;
}

/** A backend whose models only count loads and unloads. */
function countingBackend(): Backend & { loads: number; unloads: number } {
  const b = {
    name: 'fake',
    loads: 0,
    unloads: 0,
    loadModel: () => {
      b.loads++;
      return Promise.resolve({
        instances: [
          { name: 'm_0', execute: () => Promise.resolve({ computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 }) },
        ],
        unload: () => {
          b.unloads++;
          return Promise.resolve();
        },
      });
    },
  };
  return b;
}

describe('ModelManager', () => {
  test('a load still on its way when stop() is called leaves nothing loaded', async () => {
    const backend = countingBackend();
    const manager = new ModelManager({
      repository: new ModelRepository(await repository()),
      controlMode: 'explicit',
      startupModels: [],
      pollSecs: 1,
      autoComplete: false,
      backends: [backend],
      logger: pino({ level: 'silent' }),
      clock: systemClock,
      observer: {},
    });
    const load = manager.load('m').then(
      () => 'loaded',
      (e: { code?: string }) => e.code,
    );
    await manager.stop();
    const outcome = await load;
    assert.deepEqual(
      manager.servingVersions(),
      [],
      `the load ended '${outcome}' but left a version serving after stop()`,
    );
    assert.equal(backend.loads, backend.unloads);
  });

  describe('readiness and the index after failed loads', () => {
    const manager = (root: string, controlMode: ControlMode, backend: Backend = countingBackend()) =>
      new ModelManager({
        repository: new ModelRepository(root),
        controlMode,
        startupModels: ['*'],
        pollSecs: 3600,
        autoComplete: false,
        backends: [backend],
        logger: pino({ level: 'silent' }),
        clock: systemClock,
        observer: {},
      });
    const config = (root: string, model = 'm') => join(root, model, 'config.pbtxt');
    const breakConfig = async (root: string, model = 'm') =>
      writeFile(config(root, model), (await readFile(config(root, model), 'utf8')) + '\nmax_batch_size: oops\n');

    test('a failed reload of a serving model keeps it serving, ready, and says why in the index', async () => {
      const root = await repository();
      const good = await readFile(config(root), 'utf8');
      const m = manager(root, 'explicit');
      await m.start();
      assert.equal(m.allReady(), true);
      await breakConfig(root);
      await assert.rejects(m.load('m'), /config\.pbtxt/);
      assert.equal(m.allReady(), true, 'the previous version still serves every request');
      assert.equal(m.resolve('m', '').state, 'READY');
      const [row] = await m.index(false);
      assert.equal(row!.state, 'READY');
      assert.ok(row!.reason.startsWith(RELOAD_FAILED_REASON), row!.reason);
      assert.match(row!.reason, /config\.pbtxt:\d+/);
      await writeFile(config(root), good);
      await m.load('m');
      assert.deepEqual(await m.index(false), [{ name: 'm', version: '1', state: 'READY', reason: '' }]);
      await m.stop();
    });

    test('a model the server started with that failed holds readiness until it loads or is unloaded', async () => {
      const root = await repository();
      const good = await readFile(config(root), 'utf8');
      await breakConfig(root);
      const m = manager(root, 'explicit');
      await m.start();
      assert.equal(m.allReady(), false);
      assert.match((await m.index(false))[0]!.reason, /config\.pbtxt/);
      await writeFile(config(root), good);
      await m.load('m');
      assert.equal(m.allReady(), true);
      await breakConfig(root);
      await m.unload('m');
      await m.load('m').catch(() => undefined);
      assert.equal(m.allReady(), true, 'after startup, a model that does not serve does not hold readiness');
      const [row] = await m.index(false);
      assert.equal(row!.state, 'UNAVAILABLE');
      assert.match(row!.reason, /config\.pbtxt/, 'the index shows the last failure, not "unloaded"');
      await m.stop();
    });

    test('a new model that fails after startup is in the index but does not hold readiness', async () => {
      const root = await repository();
      const m = manager(root, 'explicit');
      await m.start();
      await mkdir(join(root, 'n', '1'), { recursive: true });
      await writeFile(config(root, 'n'), 'name: "n"\nbackend: "fake"\nmax_batch_size: oops\n');
      await assert.rejects(m.load('n'));
      assert.equal(m.allReady(), true);
      const row = (await m.index(false)).find((r) => r.name === 'n');
      assert.equal(row?.state, 'UNAVAILABLE');
      assert.match(row!.reason, /config\.pbtxt:3/);
      await m.stop();
    });

    test('while a serving model reloads, it stays READY in the index and the server stays ready', async () => {
      const root = await repository();
      let release: () => void = () => {};
      let loads = 0;
      const base = countingBackend();
      const slow: Backend = {
        name: 'fake',
        loadModel: async (ctx) => {
          if (++loads === 2) await new Promise<void>((r) => (release = r));
          return base.loadModel(ctx);
        },
      };
      const m = manager(root, 'explicit', slow);
      await m.start();
      const reload = m.load('m');
      await new Promise((r) => setImmediate(r));
      while (loads < 2) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(await m.index(false), [{ name: 'm', version: '1', state: 'READY', reason: '' }]);
      assert.equal(m.allReady(), true);
      release();
      await reload;
      await m.stop();
    });
  });
});
