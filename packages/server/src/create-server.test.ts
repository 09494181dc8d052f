import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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

describe('createServer warns once about administrative APIs open beyond loopback', () => {
  /** Starts (and stops) a server on an empty repository with `flags`; returns its warn-level log lines. */
  async function warningsWith(flags: string[]): Promise<Array<Record<string, unknown>>> {
    const root = await mkdtemp(join(tmpdir(), 'tg-exposure-'));
    roots.push(root);
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
        done();
      },
    });
    const settings = parseSettings(
      ['--model-repository', root, '--http-port', '0', '--grpc-port', '0', '--no-allow-metrics', ...flags],
      {},
    );
    const server = await createServer(settings, { logger: pino({ level: 'warn' }, sink) });
    await server.shutdown();
    return lines.filter((l) => l['level'] === 40);
  }

  test('beyond loopback with nothing restricted: one warning naming the APIs, protocols and flags', async () => {
    const warnings = await warningsWith(['--host', '0.0.0.0']);
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    const w = warnings[0]!;
    assert.deepEqual(w['openApis'], {
      http: ['model-repository', 'trace', 'logging'],
      grpc: ['model-repository', 'trace', 'logging'],
    });
    assert.equal(w['host'], '0.0.0.0');
    assert.match(String(w['msg']), /--http-restricted-api model-repository,trace,logging:<header>=<secret>/);
    assert.match(String(w['msg']), /--grpc-restricted-protocol model-repository,trace,logging:<header>=<secret>/);
  });

  test('no warning on loopback, or once the administrative groups are restricted', async () => {
    assert.deepEqual(await warningsWith(['--host', '127.0.0.1']), []);
    assert.deepEqual(
      await warningsWith([
        ...['--host', '0.0.0.0', '--http-restricted-api', 'model-repository,trace,logging:x-admin=a'],
        ...['--grpc-restricted-protocol', 'model-repository,trace,logging:x-admin=a'],
      ]),
      [],
    );
  });

  test('a protocol left open is still named; a disabled one is not', async () => {
    const warnings = await warningsWith([
      ...['--host', '0.0.0.0', '--no-allow-http', '--grpc-restricted-protocol', 'model-repository:x-admin=a'],
    ]);
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]!['openApis'], { grpc: ['trace', 'logging'] });
  });

  test('a bad restriction in hand-built settings stops start-up, naming the option', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tg-exposure-'));
    roots.push(root);
    const settings = parseSettings(['--model-repository', root, '--no-allow-metrics'], {});
    await assert.rejects(
      createServer({ ...settings, grpcRestrictedProtocol: ['loging:k=v'] }, { logger: pino({ level: 'silent' }) }),
      /--grpc-restricted-protocol \(TENSORGATE_GRPC_RESTRICTED_PROTOCOL\): unknown restricted protocol 'loging'/,
    );
  });
});
