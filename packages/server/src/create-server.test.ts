import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Backend } from './backend-api/backend.js';
import { parseSettings } from './cli/settings.js';
import type { InstanceGroupConfig } from './core/config/model-config.js';
import { createServer } from './create-server.js';

const roots: string[] = [];
after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

/** Starts a server (no endpoints) on a repository holding model `m` of a GPU-capable fake backend. */
async function placementWith(flags: string[]): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), 'tg-create-'));
  roots.push(root);
  await mkdir(join(root, 'm', '1'), { recursive: true });
  await writeFile(
    join(root, 'm', 'config.pbtxt'),
    'backend: "gpu_fake"\ninput [ { name: "I", data_type: TYPE_INT32, dims: [ 1 ] } ]\n' +
      'output [ { name: "O", data_type: TYPE_INT32, dims: [ 1 ] } ]\n',
  );
  let groups: readonly InstanceGroupConfig[] = [];
  const backend: Backend = {
    name: 'gpu_fake',
    gpuSupport: () => ({ available: true }),
    loadModel: (ctx) => {
      groups = ctx.config.instance_group;
      return Promise.resolve({ instances: [], unload: () => Promise.resolve() });
    },
  };
  const settings = parseSettings(
    ['--model-repository', root, '--no-allow-http', '--no-allow-grpc', '--no-allow-metrics', ...flags],
    {},
  );
  const server = await createServer(settings, {
    logger: pino({ level: 'silent' }),
    backends: [backend],
    detectGpus: () => ({ ids: [0, 1], source: 'fake' }),
  });
  await server.shutdown();
  return groups.map((g) => `${g.kind} [${g.gpus.join(',')}]`);
}

describe('createServer hands the GPUs to config resolution', () => {
  test('detected GPUs reach KIND_AUTO normalization', async () => {
    assert.deepEqual(await placementWith([]), ['KIND_GPU [0,1]']);
  });

  test('--gpus overrides detection', async () => {
    assert.deepEqual(await placementWith(['--gpus', '1']), ['KIND_GPU [1]']);
    assert.deepEqual(await placementWith(['--gpus', 'none']), ['KIND_CPU []']);
  });
});

describe('createServer prepares backends when models may load while serving', () => {
  async function prepared(mode: string): Promise<number> {
    const root = await mkdtemp(join(tmpdir(), 'tg-prepare-'));
    roots.push(root);
    let calls = 0;
    const backend: Backend = {
      name: 'fake',
      prepare: () => {
        calls++;
        return Promise.resolve();
      },
      loadModel: () => Promise.resolve({ instances: [], unload: () => Promise.resolve() }),
    };
    const settings = parseSettings(
      [
        '--model-repository',
        root,
        '--no-allow-http',
        '--no-allow-grpc',
        '--no-allow-metrics',
        '--model-control-mode',
        mode,
      ],
      {},
    );
    const server = await createServer(settings, { logger: pino({ level: 'silent' }), backends: [backend] });
    await server.shutdown();
    return calls;
  }

  test('explicit and poll modes call prepare() once before serving; none mode loads everything at start instead', async () => {
    assert.equal(await prepared('explicit'), 1);
    assert.equal(await prepared('poll'), 1);
    assert.equal(await prepared('none'), 0);
  });
});
