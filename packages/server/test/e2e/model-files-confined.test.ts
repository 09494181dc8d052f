/**
 * Files a model config names stay inside their model folder, over the real wire: load overrides
 * (HTTP and gRPC RepositoryModelLoad) naming `label_filename`, `default_model_filename` (js and
 * onnxruntime), warmup `input_data_file` and ONNX external data outside the folder, by `..`, by an
 * absolute path or through a symlink inside the folder, are refused with INVALID_ARG naming the
 * field and the path; nothing outside runs (the outside JS module would write a marker file), and
 * the version loaded before keeps serving. Model names cannot address anything outside the
 * repository either.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addExternalWeightsOnnx, addSubOnnx } from '@tensorgate/onnx-gen';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';
import { range } from '../helpers/tensors.js';

let root: string;
let repo: string;
let outside: string;
let marker: string;
let s: TestServer;
let client: ReturnType<typeof grpcClient>;
const configs: Record<string, Record<string, unknown>> = {};

/** What the outside JS module does when imported: proof that it ran. */
const evilJs = (markerPath: string) => `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(markerPath)}, 'imported');
export default class Evil { execute(requests) { return requests.map(() => ({ outputs: [] })); } }
`;

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'tg-confined-wire-')));
  repo = join(root, 'repo');
  outside = join(root, 'outside');
  marker = join(outside, 'MARKER');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret.txt'), 'top\nsecret\nlines\n');
  await writeFile(join(outside, 'secret.bin'), new Uint8Array(64));
  await writeFile(join(outside, 'evil.js'), evilJs(marker));
  await writeFile(join(outside, 'evil.onnx'), addSubOnnx());
  // A complete model folder beside the repository, whose model would also write the marker.
  await cp(join(EXAMPLES, 'simple'), join(root, 'outside_model'), { recursive: true });
  await writeFile(join(root, 'outside_model', '1', 'model.js'), evilJs(marker));

  // simple (js) with labels on OUTPUT0, and links inside its folder that lead outside.
  const simple = join(repo, 'simple');
  await cp(join(EXAMPLES, 'simple'), simple, { recursive: true });
  const cfgPath = join(simple, 'config.pbtxt');
  const cfg = await readFile(cfgPath, 'utf8');
  await writeFile(cfgPath, cfg.replace(/(name:\s*"OUTPUT0"[^}]*?)(\n\s*\})/, '$1\n    label_filename: "labels.txt"$2'));
  await writeFile(
    join(simple, 'labels.txt'),
    range(16)
      .map((i) => `c${i}`)
      .join('\n') + '\n',
  );
  await symlink(join(outside, 'secret.txt'), join(simple, 'labels_link.txt'));
  await symlink(join(outside, 'evil.js'), join(simple, '1', 'evil_link.js'));
  await mkdir(join(simple, 'warmup'));
  await symlink(join(outside, 'secret.bin'), join(simple, 'warmup', 'link.bin'));

  // ext_ok (onnxruntime): OUT = IN + W with W in 1/weights.bin, plus model files whose external
  // data leaves the folder.
  const ext = join(repo, 'ext_ok');
  await mkdir(join(ext, '1'), { recursive: true });
  await writeFile(
    join(ext, 'config.pbtxt'),
    'name: "ext_ok"\nbackend: "onnxruntime"\nmax_batch_size: 0\n' +
      'input [ { name: "IN" data_type: TYPE_FP32 dims: [ 4 ] } ]\noutput [ { name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] } ]\n',
  );
  await writeFile(join(ext, '1', 'model.onnx'), addExternalWeightsOnnx('weights.bin'));
  await writeFile(join(ext, '1', 'weights.bin'), new Uint8Array(new Float32Array([10, 20, 30, 40]).buffer));
  await writeFile(join(ext, '1', 'escape_dotdot.onnx'), addExternalWeightsOnnx('../../../outside/secret.bin'));
  await writeFile(join(ext, '1', 'escape_abs.onnx'), addExternalWeightsOnnx(join(outside, 'secret.bin')));
  await writeFile(join(ext, '1', 'escape_link.onnx'), addExternalWeightsOnnx('link.bin'));
  await symlink(join(outside, 'secret.bin'), join(ext, '1', 'link.bin'));

  // A model folder that is a symlink to elsewhere (followed, as Triton does), and a model whose
  // version folder is a symlink leaving the model folder (its files lie outside: refused).
  const renamed = async (to: string, name: string) => {
    await cp(join(EXAMPLES, 'simple'), to, { recursive: true });
    const p = join(to, 'config.pbtxt');
    await writeFile(p, (await readFile(p, 'utf8')).replace('name: "simple"', `name: "${name}"`));
  };
  await renamed(join(root, 'store', 'linked_model'), 'linked_model');
  await symlink(join(root, 'store', 'linked_model'), join(repo, 'linked_model'));
  await renamed(join(repo, 'linked_version'), 'linked_version');
  await cp(join(repo, 'linked_version', '1'), join(root, 'store', 'linked_version_1'), { recursive: true });
  await rm(join(repo, 'linked_version', '1'), { recursive: true });
  await symlink(join(root, 'store', 'linked_version_1'), join(repo, 'linked_version', '1'));

  s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple', '--load-model', 'ext_ok'], repo);
  client = grpcClient(s.grpcPort);
  for (const m of ['simple', 'ext_ok']) {
    configs[m] = (await (await fetch(`${s.http}/v2/models/${m}/config`)).json()) as Record<string, unknown>;
  }
});

after(async () => {
  client?.close();
  await s?.close();
  await rm(root, { recursive: true, force: true });
});

const outsideOf = (model: string) => `resolves outside the model folder '${join(repo, model)}'`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Loads `model` with `config` over HTTP and over gRPC; both must fail INVALID_ARG matching `message`. */
async function refusedOverBoth(model: string, config: Record<string, unknown>, message: RegExp): Promise<void> {
  const body = JSON.stringify({ parameters: { config: JSON.stringify(config) } });
  const r = await fetch(`${s.http}/v2/repository/models/${model}/load`, { method: 'POST', body });
  const text = await r.text();
  assert.equal(r.status, 400, text);
  assert.match((JSON.parse(text) as { error: string }).error, message);
  await assert.rejects(
    unary(client, 'RepositoryModelLoad', {
      model_name: model,
      parameters: { config: { string_param: JSON.stringify(config) } },
    }),
    (e: { code: number; details: string }) => {
      assert.equal(e.code, 3, e.details); // INVALID_ARGUMENT
      assert.match(e.details, message);
      return true;
    },
  );
  await stillServing();
}

/** The versions loaded at start keep answering, and the server stays ready. */
async function stillServing(): Promise<void> {
  assert.equal(existsSync(marker), false, 'a module outside the model folder was imported');
  assert.equal((await fetch(`${s.http}/v2/health/ready`)).status, 200);
  const r = await fetch(`${s.http}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: { classification: 2 } }],
    }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  const out = ((await r.json()) as { outputs: Array<{ data: unknown[] }> }).outputs[0]!;
  assert.deepEqual(out.data, ['30:15:c15', '28:14:c14'], 'the labels are still those of the model folder');
  const e = await fetch(`${s.http}/v2/models/ext_ok/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'IN', shape: [4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
  });
  assert.equal(e.status, 200, await e.clone().text());
  assert.deepEqual(((await e.json()) as { outputs: Array<{ data: unknown[] }> }).outputs[0]!.data, [11, 22, 33, 44]);
}

const withLabel = (label: string) => ({
  ...configs['simple'],
  output: (configs['simple']!['output'] as Array<Record<string, unknown>>).map((o) =>
    o['name'] === 'OUTPUT0' ? { ...o, label_filename: label } : o,
  ),
});

describe('config-named files stay inside the model folder', () => {
  test('ONNX external data inside the folder loads and serves', async () => {
    await stillServing();
  });

  test('label_filename: .., absolute, and a symlink leaving the folder', async () => {
    for (const label of ['../../outside/secret.txt', join(outside, 'secret.txt'), 'labels_link.txt']) {
      await refusedOverBoth(
        'simple',
        withLabel(label),
        new RegExp(`^label_filename '${escape(label)}' of output 'OUTPUT0' ${escape(outsideOf('simple'))}$`),
      );
    }
  });

  test('js default_model_filename: absolute, .., and a symlink; the outside module never runs', async () => {
    for (const file of [join(outside, 'evil.js'), '../../../outside/evil.js', 'evil_link.js']) {
      await refusedOverBoth(
        'simple',
        { ...configs['simple'], default_model_filename: file },
        new RegExp(
          `default_model_filename '${escape(file)}' of model 'simple' version 1 ${escape(outsideOf('simple'))}`,
        ),
      );
    }
  });

  test('onnxruntime default_model_filename: absolute and ..', async () => {
    for (const file of [join(outside, 'evil.onnx'), '../../../outside/evil.onnx']) {
      await refusedOverBoth(
        'ext_ok',
        { ...configs['ext_ok'], default_model_filename: file },
        new RegExp(`default_model_filename '${escape(file)}' ${escape(outsideOf('ext_ok'))}`),
      );
    }
  });

  test('warmup input_data_file: .., absolute, and a symlink in the warmup folder', async () => {
    for (const file of ['../../../outside/secret.bin', join(outside, 'secret.bin'), 'link.bin']) {
      const warmup = [
        {
          name: 'w',
          batch_size: 1,
          inputs: {
            INPUT0: { data_type: 'TYPE_INT32', dims: [16], input_data_file: file },
            INPUT1: { data_type: 'TYPE_INT32', dims: [16], zero_data: true },
          },
        },
      ];
      await refusedOverBoth(
        'simple',
        { ...configs['simple'], model_warmup: warmup },
        new RegExp(
          `input_data_file '${escape(file)}' of model 'simple' warmup sample 'w' input 'INPUT0' ${escape(outsideOf('simple'))}`,
        ),
      );
    }
  });

  test('ONNX external data: .., absolute, and a symlink; also when auto-complete opens the model', async () => {
    const cases: Array<[string, string]> = [
      ['escape_dotdot.onnx', '../../../outside/secret.bin'],
      ['escape_abs.onnx', join(outside, 'secret.bin')],
      ['escape_link.onnx', 'link.bin'],
    ];
    for (const [file, location] of cases) {
      const message = new RegExp(
        `external_data location '${escape(location)}' of tensor 'W' in ${escape(join(repo, 'ext_ok', '1', file))} ${escape(outsideOf('ext_ok'))}`,
      );
      await refusedOverBoth('ext_ok', { ...configs['ext_ok'], default_model_filename: file }, message);
      // No inputs/outputs: auto-complete reads the model's metadata, after the same check.
      await refusedOverBoth(
        'ext_ok',
        { name: 'ext_ok', backend: 'onnxruntime', max_batch_size: 0, default_model_filename: file },
        message,
      );
    }
  });

  test('the index says why the refused load failed, on the version that keeps serving', async () => {
    await refusedOverBoth('simple', withLabel('../../outside/secret.txt'), /resolves outside/);
    const index = (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Array<
      Record<string, string>
    >;
    const row = index.find((r) => r['name'] === 'simple')!;
    assert.equal(row['state'], 'READY');
    assert.match(
      row['reason']!,
      /the last load failed; this version keeps serving: label_filename .* resolves outside/,
    );
    // A good override clears it.
    const ok = await fetch(`${s.http}/v2/repository/models/simple/load`, {
      method: 'POST',
      body: JSON.stringify({ parameters: { config: JSON.stringify(withLabel('labels.txt')) } }),
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    const after = (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Array<
      Record<string, string>
    >;
    assert.deepEqual(
      after.find((r) => r['name'] === 'simple'),
      { name: 'simple', version: '1', state: 'READY', reason: '' },
    );
  });
});

describe('symlinked model and version folders', () => {
  test('a model folder that is a symlink loads; a version folder linking out of the model folder does not', async () => {
    const linked = await fetch(`${s.http}/v2/repository/models/linked_model/load`, { method: 'POST' });
    assert.equal(linked.status, 200, await linked.clone().text());
    assert.equal((await fetch(`${s.http}/v2/models/linked_model/ready`)).status, 200);
    const version = await fetch(`${s.http}/v2/repository/models/linked_version/load`, { method: 'POST' });
    assert.equal(version.status, 400);
    assert.match(
      ((await version.json()) as { error: string }).error,
      new RegExp(`model file 'model.js' of model 'linked_version' version 1 ${escape(outsideOf('linked_version'))}`),
    );
    await stillServing();
  });
});

describe('model names never address anything outside the repository', () => {
  test('HTTP load and unload', async () => {
    const names = [
      '..',
      '%2e%2e',
      '.hidden',
      'a%2Fb',
      '..%2Foutside_model',
      '..%2F..%2Fetc',
      '%2Fetc%2Fpasswd',
      encodeURIComponent(join(root, 'outside_model')),
      'a%00b',
      '..%5Coutside_model',
    ];
    for (const name of names) {
      for (const action of ['load', 'unload']) {
        const r = await fetch(`${s.http}/v2/repository/models/${name}/${action}`, { method: 'POST' });
        assert.ok(r.status === 400 || r.status === 404, `${action} ${name}: ${r.status} ${await r.text()}`);
      }
    }
    // Decoded once, this is a literal name inside the repository (no separator): no such model.
    const literal = await fetch(`${s.http}/v2/repository/models/%252e%252e%252Foutside_model/load`, { method: 'POST' });
    assert.equal(literal.status, 404);
    await stillServing();
    const index = (await (await fetch(`${s.http}/v2/repository/index`, { method: 'POST' })).json()) as Array<{
      name: string;
    }>;
    assert.deepEqual(
      index.map((r) => r.name).sort(),
      ['ext_ok', 'linked_model', 'linked_version', 'simple'],
      "nothing but the repository's own folders",
    );
  });

  test('gRPC RepositoryModelLoad and RepositoryModelUnload', async () => {
    const names = [
      '..',
      '.',
      '',
      '../outside_model',
      '..\\outside_model',
      'simple/../simple',
      '/etc/passwd',
      join(root, 'outside_model'),
      'a\0b',
      '.hidden',
    ];
    for (const name of names) {
      for (const rpc of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
        await assert.rejects(unary(client, rpc, { model_name: name }), (e: { code: number; details: string }) => {
          assert.ok(e.code === 3 || e.code === 5, `${rpc} ${JSON.stringify(name)}: ${e.code} ${e.details}`);
          return true;
        });
      }
    }
    await stillServing();
  });
});
