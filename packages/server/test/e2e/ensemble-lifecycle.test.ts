/**
 * How ensembles load and unload with their composing models, over the repository API: explicit
 * mode loads the composing models first, an ensemble is ready only while they serve, unloading
 * one takes the ensemble down until it is back, `unload_dependents` unloads for good; poll mode
 * follows the repository. Every load-time validation error is a clear 400 naming what is wrong.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';
import { writeEnsemble, writeJsModel, type EnsembleOptions } from '../helpers/ensemble-models.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-ensemble-life-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The composing models every repository here has. */
async function baseModels(repo: string): Promise<void> {
  await writeJsModel(repo, 'add1', { kind: 'affine', parameters: { add: 1 } });
  await writeJsModel(repo, 'double', { kind: 'affine', parameters: { mul: 2 } });
  await writeJsModel(repo, 'add10', { kind: 'affine', parameters: { add: 10 } });
  await writeEnsemble(repo, 'pipe', {
    steps: [
      { model: 'add1', input: { X: 'IN' }, output: { Y: 'tmp' } },
      { model: 'double', input: { X: 'tmp' }, output: { Y: 'OUT' } },
    ],
  });
}

interface Row {
  name: string;
  version: string;
  state: string;
  reason: string;
}

function client(s: TestServer) {
  const post = async (path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await fetch(`${s.http}${path}`, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return {
    load: (m: string) => post(`/v2/repository/models/${m}/load`),
    unload: (m: string, unloadDependents = false) =>
      post(
        `/v2/repository/models/${m}/unload`,
        unloadDependents ? { parameters: { unload_dependents: true } } : undefined,
      ),
    ready: async (m: string) => (await fetch(`${s.http}/v2/models/${m}/ready`)).status === 200,
    row: async (m: string): Promise<Row | undefined> =>
      ((await post('/v2/repository/index')).body as unknown as Row[]).find((r) => r.name === m && r.version !== ''),
    infer: (m: string, data = [1, 2, 3, 4]) =>
      post(`/v2/models/${m}/infer`, { inputs: [{ name: 'IN', shape: [1, 4], datatype: 'FP32', data }] }),
  };
}

describe('ensembles in explicit mode', { timeout: 120_000 }, () => {
  let s: TestServer;
  let api: ReturnType<typeof client>;
  before(async () => {
    const repo = join(dir, 'explicit');
    await mkdir(repo);
    await baseModels(repo);
    await writeEnsemble(repo, 'outer', {
      steps: [
        { model: 'pipe', input: { IN: 'IN' }, output: { OUT: 'p' } },
        { model: 'add10', input: { X: 'p' }, output: { Y: 'OUT' } },
      ],
    });
    await writeBadEnsembles(repo);
    s = await startServer(['--model-control-mode', 'explicit'], repo);
    api = client(s);
  });
  after(async () => {
    await s?.close();
  });

  test('loading an ensemble loads its composing models first; it is ready while they serve', async () => {
    assert.equal(await api.ready('add1'), false);
    assert.equal((await api.load('pipe')).status, 200);
    for (const m of ['add1', 'double', 'pipe']) {
      assert.equal(await api.ready(m), true, m);
      assert.equal((await api.row(m))?.state, 'READY');
    }
    assert.deepEqual((await api.infer('pipe')).body['outputs'], [
      { name: 'OUT', datatype: 'FP32', shape: [1, 4], data: [4, 6, 8, 10] },
    ]);

    // Unloading a composing model takes the ensemble down first, with Triton's reason...
    assert.equal((await api.unload('add1')).status, 200);
    assert.equal(await api.ready('pipe'), false);
    assert.deepEqual(await api.row('pipe'), {
      name: 'pipe',
      version: '1',
      state: 'UNAVAILABLE',
      reason: 'ensemble pipe contains models that are not available or ambiguous: add1',
    });
    const refused = await api.infer('pipe');
    assert.equal(refused.status, 503);
    assert.match(String(refused.body['error']), /contains models that are not available or ambiguous: add1/);
    // ...and it comes back when the model does.
    assert.equal((await api.load('add1')).status, 200);
    assert.equal(await api.ready('pipe'), true);
    assert.equal((await api.infer('pipe')).status, 200);
  });

  test('unload_dependents: unloading an ensemble unloads what was loaded only along with it', async () => {
    assert.equal((await api.load('pipe')).status, 200);
    // add1 was loaded on its own above; double only along with pipe.
    assert.equal((await api.unload('pipe', true)).status, 200);
    assert.equal(await api.ready('pipe'), false);
    assert.equal(await api.ready('double'), false);
    assert.equal(await api.ready('add1'), true);
    // Without the flag, the composing models stay.
    assert.equal((await api.load('pipe')).status, 200);
    assert.equal((await api.unload('pipe')).status, 200);
    assert.equal(await api.ready('double'), true);
    assert.equal((await api.row('pipe'))?.reason, 'unloaded');
  });

  test('unload_dependents on a composing model unloads its ensembles for good', async () => {
    assert.equal((await api.load('pipe')).status, 200);
    assert.equal((await api.unload('double', true)).status, 200);
    assert.equal(await api.ready('pipe'), false);
    assert.equal((await api.load('double')).status, 200);
    assert.equal(await api.ready('pipe'), false, 'an ensemble unloaded for good does not come back');
  });

  test('a nested ensemble loads the whole chain, and goes down with its innermost model', async () => {
    assert.equal((await api.load('outer')).status, 200);
    for (const m of ['outer', 'pipe', 'add1', 'double', 'add10']) assert.equal(await api.ready(m), true, m);
    assert.deepEqual((await api.infer('outer')).body['outputs'], [
      { name: 'OUT', datatype: 'FP32', shape: [1, 4], data: [14, 16, 18, 20] },
    ]);
    // gRPC RepositoryModelUnload of the innermost model: both ensembles go down.
    const g = grpcClient(s.grpcPort);
    try {
      await unary(g, 'RepositoryModelUnload', { model_name: 'double' });
    } finally {
      g.close();
    }
    assert.equal(await api.ready('pipe'), false);
    assert.equal(await api.ready('outer'), false);
    assert.equal((await api.load('double')).status, 200);
    assert.equal(await api.ready('pipe'), true);
    await eventually(() => api.ready('outer'));
  });

  test('each load-time validation error is a clear 400 naming what is wrong', async () => {
    for (const [model, expected] of Object.entries(BAD_EXPECTED)) {
      const r = await api.load(model);
      assert.equal(r.status, 400, `${model}: ${JSON.stringify(r.body)}`);
      const error = String(r.body['error']);
      if (typeof expected === 'string') assert.equal(error, expected, model);
      else assert.match(error, expected, model);
      assert.equal((await api.row(model))?.state ?? 'UNAVAILABLE', 'UNAVAILABLE');
    }
  });
});

const BAD: Record<string, EnsembleOptions> = {
  unknown_model: { steps: [{ model: 'nowhere', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  no_such_input: { steps: [{ model: 'add1', input: { X: 'IN', Z: 'IN' }, output: { Y: 'OUT' } }] },
  unmapped_input: { steps: [{ model: 'join2', input: { A: 'IN' }, output: { Y: 'OUT' } }] },
  written_twice: {
    steps: [
      { model: 'add1', input: { X: 'IN' }, output: { Y: 'OUT' } },
      { model: 'double', input: { X: 'IN' }, output: { Y: 'OUT' } },
    ],
  },
  unused_input: { inputs: ['IN', 'SPARE'], steps: [{ model: 'add1', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  unwritten_output: {
    outputs: ['OUT', 'MISSING'],
    steps: [
      { model: 'add1', input: { X: 'IN', Z: 'never' }, output: { Y: 'OUT' } },
      { model: 'double', input: { X: 'never' }, output: { Y: 'MISSING' } },
    ],
  },
  type_mismatch: { inputs: ['IN:INT32:4'], steps: [{ model: 'add1', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  shape_mismatch: { inputs: ['IN:FP32:3'], steps: [{ model: 'add1', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  step_cycle: {
    steps: [
      { model: 'join2', input: { A: 'IN', B: 'back' }, output: { Y: 'fwd' } },
      { model: 'fan2', input: { X: 'fwd' }, output: { Y: 'back', Z: 'OUT' } },
    ],
  },
  circ_a: { steps: [{ model: 'circ_b', input: { IN: 'IN' }, output: { OUT: 'OUT' } }] },
  circ_b: { steps: [{ model: 'circ_a', input: { IN: 'IN' }, output: { OUT: 'OUT' } }] },
  self_loop: { steps: [{ model: 'self_loop', input: { IN: 'IN' }, output: { OUT: 'OUT' } }] },
  needs_v3: { steps: [{ model: 'add1', version: 3, input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  too_big_batch: { maxBatch: 16, steps: [{ model: 'add1', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  uses_broken: { steps: [{ model: 'broken', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
  // A step cannot reach outside the repository: the name is refused before any file is looked at.
  outside: { steps: [{ model: '../add1', input: { X: 'IN' }, output: { Y: 'OUT' } }] },
};

const BAD_EXPECTED: Record<string, string | RegExp> = {
  unknown_model: 'ensemble unknown_model contains models that are not available or ambiguous: nowhere',
  no_such_input: 'in ensemble no_such_input, ensemble tensor IN is mapping to non-existing input Z in model add1',
  unmapped_input: 'in ensemble unmapped_input, input B in model join2 is not mapped to any ensemble tensors',
  written_twice: "ensemble tensor 'OUT' can appear in an output map only once for ensemble 'written_twice' step 1",
  unused_input: "ensemble input 'SPARE' for ensemble 'unused_input' is not used",
  unwritten_output:
    "output 'OUT' for ensemble 'unwritten_output' is not written: at least one of its depending tensors, 'never', is not connected",
  type_mismatch:
    'in ensemble type_mismatch, ensemble tensor IN: inconsistent data type: TYPE_INT32 is inferred from model type_mismatch while TYPE_FP32 is inferred from model add1',
  shape_mismatch:
    'in ensemble shape_mismatch, ensemble tensor IN: inconsistent shape: [-1,3] is inferred from model shape_mismatch while [-1,4] is inferred from model add1',
  step_cycle:
    "ensemble 'step_cycle' has a cycle between its steps: step 0 ('join2') -> tensor 'fwd' -> step 1 ('fan2') -> tensor 'back' -> step 0 ('join2')",
  circ_a: 'circular dependency between ensembles: circ_a -> ... -> circ_b -> circ_a',
  self_loop: 'circular dependency between ensembles: self_loop -> ... -> self_loop -> self_loop',
  needs_v3: "ensemble 'needs_v3' depends on 'add1' whose required version 3 is not loaded",
  too_big_batch:
    'ensemble too_big_batch allows maximum batch size 16, but it contains model add1 which only allows maximum batch size to be 8',
  uses_broken:
    /^ensemble 'uses_broken' depends on 'broken' which has no loaded version\. Model 'broken' loading failed with error: .*dims/,
  outside: 'invalid model name "../add1"',
};

async function writeBadEnsembles(repo: string): Promise<void> {
  await writeJsModel(repo, 'join2', { kind: 'sum' });
  // Two outputs from one input: Y and Z (a sum model's config with its IO turned around).
  await writeJsModel(repo, 'fan2', { kind: 'affine' });
  await writeFile(
    join(repo, 'fan2', 'config.pbtxt'),
    `name: "fan2"\nbackend: "js"\nmax_batch_size: 8\ninput [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]\n` +
      `output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "Z" data_type: TYPE_FP32 dims: [ 4 ] } ]\n`,
  );
  // A model whose config does not load (an input without dims).
  await writeJsModel(repo, 'broken', { kind: 'affine' });
  await writeFile(
    join(repo, 'broken', 'config.pbtxt'),
    `name: "broken"\nbackend: "js"\nmax_batch_size: 8\ninput [ { name: "X" data_type: TYPE_FP32 } ]\n` +
      `output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]\n`,
  );
  for (const [name, o] of Object.entries(BAD)) await writeEnsemble(repo, name, o);
}

describe('ensembles in poll mode', { timeout: 120_000 }, () => {
  test('an ensemble loads after its models, goes down when one leaves the repository, and comes back', async () => {
    const repo = join(dir, 'poll');
    await mkdir(repo);
    await baseModels(repo);
    // Sorts before its composing models: it still loads after them.
    await writeEnsemble(repo, 'a_pipe', {
      steps: [
        { model: 'add1', input: { X: 'IN' }, output: { Y: 'tmp' } },
        { model: 'double', input: { X: 'tmp' }, output: { Y: 'OUT' } },
      ],
    });
    const s = await startServer(['--model-control-mode', 'poll', '--repository-poll-secs', '1'], repo);
    const api = client(s);
    try {
      assert.equal(await api.ready('a_pipe'), true);
      assert.equal((await api.infer('a_pipe')).status, 200);
      await rename(join(repo, 'double'), join(dir, 'double-away'));
      await eventually(async () => !(await api.ready('a_pipe')));
      await eventually(async () => (await api.row('a_pipe'))?.reason.includes('double') === true);
      await rename(join(dir, 'double-away'), join(repo, 'double'));
      await eventually(() => api.ready('a_pipe'));
      assert.deepEqual((await api.infer('a_pipe')).body['outputs'], [
        { name: 'OUT', datatype: 'FP32', shape: [1, 4], data: [4, 6, 8, 10] },
      ]);
      // A composing model reloaded with a config that no longer fits: the ensemble goes down
      // with the check's message, and comes back once the model fits again.
      const config = join(repo, 'double', 'config.pbtxt');
      const original = await readFile(config, 'utf8');
      await writeFile(
        config,
        original.replace('data_type: TYPE_FP32 dims: [ 4 ] } ]\n', 'data_type: TYPE_FP32 dims: [ 8 ] } ]\n'),
      );
      await eventually(async () => (await api.row('a_pipe'))?.state === 'UNAVAILABLE');
      assert.match((await api.row('a_pipe'))!.reason, /^in ensemble a_pipe, ensemble tensor tmp: inconsistent shape: /);
      assert.equal(await api.ready('double'), true);
      await writeFile(config, original);
      await eventually(() => api.ready('a_pipe'));
    } finally {
      await s.close();
    }
  });
});
