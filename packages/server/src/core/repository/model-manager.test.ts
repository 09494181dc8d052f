import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Backend } from '../../backend-api/backend.js';
import { systemClock } from '../clock.js';
import { ModelManager } from './model-manager.js';
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
});
