/**
 * Instance names as Triton gives them (core model_config_utils.cc and backend_model.cc): a model
 * without `instance_group` has one group named after the model and an instance `<model>_0`; an
 * unnamed group i is `<model>_<i>` with instances `<model>_<i>_<n>`; a named group keeps its name.
 * Seen by the model (`model_instance_name`), in the config endpoint, and in error messages.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/servers.js';

/** Answers NAME (BYTES) with the instance's model_instance_name; X < 0 throws. */
const MODEL = `
export default class {
  initialize(args) { this.name = args.model_instance_name; }
  execute(requests) {
    return requests.map((r) => {
      if (r.input('X').data[0] < 0) throw new Error('negative');
      return { outputs: [{ name: 'NAME', data: [this.name] }] };
    });
  }
}
`;
const config = (name: string, groups: string): string => `
name: "${name}"
backend: "js"
max_batch_size: 0
input [ { name: "X" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "NAME" data_type: TYPE_STRING dims: [ 1 ] } ]
${groups}
`;
const MODELS: Record<string, string> = {
  countdown: '',
  unnamed: 'instance_group [ { count: 2 kind: KIND_CPU } ]',
  named: 'instance_group [ { name: "pool" count: 1 kind: KIND_CPU } ]',
};

let dir: string;
let server: TestServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-instance-names-'));
  for (const [name, groups] of Object.entries(MODELS)) {
    await mkdir(join(dir, name, '1'), { recursive: true });
    await writeFile(join(dir, name, 'config.pbtxt'), config(name, groups));
    await writeFile(join(dir, name, '1', 'model.js'), MODEL);
  }
  server = await startServer([], dir);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function infer(model: string, x: number): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'X', datatype: 'INT32', shape: [1], data: [x] }] }),
  });
  return { status: res.status, body: await res.json() };
}

async function groups(model: string): Promise<string[]> {
  const cfg = (await (await fetch(`${server.http}/v2/models/${model}/config`)).json()) as {
    instance_group: { name: string }[];
  };
  return cfg.instance_group.map((g) => g.name);
}

describe('instance names follow Triton', () => {
  test('no instance_group: group countdown, instance countdown_0', async () => {
    assert.deepEqual(await groups('countdown'), ['countdown']);
    assert.deepEqual((await infer('countdown', 1)).body.outputs[0].data, ['countdown_0']);
    const failed = await infer('countdown', -1);
    assert.equal(failed.status, 500);
    assert.match(failed.body.error, /model instance 'countdown_0'/);
  });

  test('an unnamed group: group unnamed_0, instances unnamed_0_0 and unnamed_0_1', async () => {
    assert.deepEqual(await groups('unnamed'), ['unnamed_0']);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const replies = await Promise.all([infer('unnamed', 1), infer('unnamed', 1), infer('unnamed', 1)]);
      for (const r of replies) seen.add(r.body.outputs[0].data[0] as string);
    }
    assert.deepEqual([...seen].sort(), ['unnamed_0_0', 'unnamed_0_1']);
  });

  test('a named group keeps its name: pool_0', async () => {
    assert.deepEqual(await groups('named'), ['pool']);
    assert.deepEqual((await infer('named', 1)).body.outputs[0].data, ['pool_0']);
  });
});
