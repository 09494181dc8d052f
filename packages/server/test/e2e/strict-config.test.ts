/**
 * Strict configs over the real wire (issue #13 item 1): every example model loads; the config
 * each one's config endpoint prints, fed back as a load override, loads unchanged (HTTP, and gRPC
 * with the protobuf JSON a gRPC client would make of ModelConfig); config fields tensorgate does
 * not implement fail the load with UNSUPPORTED naming them, over HTTP (501) and gRPC
 * (UNIMPLEMENTED), from a load override or from config.pbtxt, and the serving version keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadProtoRoot } from '@tensorgate/protocol';
import type { Type } from 'protobufjs';
import { EXAMPLES, eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { grpcClient, unary, unaryError } from '../helpers/grpc-client.js';

type Obj = Record<string, any>;

const post = (base: string, path: string, body: unknown = {}): Promise<Response> =>
  fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
const httpConfig = async (s: TestServer, model: string): Promise<Obj> =>
  (await (await fetch(`${s.http}/v2/models/${model}/config`)).json()) as Obj;

/** protobuf's lowerCamelCase JSON name of a field. */
const jsonName = (name: string): string => name.replace(/_(.)/g, (_m, c: string) => c.toUpperCase());

/** Renames the fields of `value` (a message of `type`) to their JSON names; map keys stay as they are. */
function camelFields(value: Obj, type: Type): Obj {
  const out: Obj = {};
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined) continue;
    field.resolve();
    const sub = field.resolvedType && 'fieldsArray' in field.resolvedType ? (field.resolvedType as Type) : undefined;
    const convert = (x: unknown): unknown => (sub ? camelFields(x as Obj, sub) : x);
    if ((field as { map?: boolean }).map) {
      out[jsonName(field.name)] = Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, convert(x)]));
    } else if (field.repeated) out[jsonName(field.name)] = (v as unknown[]).map(convert);
    else out[jsonName(field.name)] = convert(v);
  }
  return out;
}

/**
 * What a gRPC client makes of a ModelConfig response as JSON: protobuf's JSON mapping with
 * lowerCamelCase names, 64-bit integers as strings, enums by name, defaults left out (like
 * Python's `MessageToJson`).
 */
function grpcConfigJson(config: Obj): string {
  const type = loadProtoRoot().lookupType('inference.ModelConfig');
  const plain = type.toObject(type.fromObject(config), { enums: String, longs: String, json: true });
  return JSON.stringify(camelFields(plain, type));
}

const examples = (await readdir(EXAMPLES, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);

describe('every example model', () => {
  let s: TestServer;
  let client: Obj;
  before(async () => {
    s = await startServer(['--model-control-mode', 'explicit', '--load-model', '*']);
    client = grpcClient(s.grpcPort);
  });
  after(async () => {
    client['close']();
    await s.close();
  });

  test('loads', async () => {
    assert.ok(examples.length >= 9, examples.join());
    for (const m of examples) assert.equal((await fetch(`${s.http}/v2/models/${m}/ready`)).status, 200, m);
  });

  test('GET config, fed back as an HTTP load override, loads unchanged', async () => {
    for (const m of examples) {
      const before = await httpConfig(s, m);
      const r = await post(s.http, `/v2/repository/models/${m}/load`, {
        parameters: { config: JSON.stringify(before) },
      });
      assert.equal(r.status, 200, `${m}: ${await r.text()}`);
      assert.deepEqual(await httpConfig(s, m), before, m);
    }
  });

  test('gRPC ModelConfig, fed back as a RepositoryModelLoad override, loads unchanged', async () => {
    for (const m of examples) {
      const before = (await unary(client, 'ModelConfig', { name: m }))['config'] as Obj;
      await unary(client, 'RepositoryModelLoad', {
        model_name: m,
        parameters: { config: { string_param: grpcConfigJson(before) } },
      });
      const again = (await unary(client, 'ModelConfig', { name: m }))['config'] as Obj;
      assert.deepEqual(again, before, m);
    }
  });
});

describe('unimplemented fields', () => {
  let s: TestServer;
  let client: Obj;
  let repo: { path: string; remove(): Promise<void> };
  let simple: Obj;
  before(async () => {
    repo = await tempRepository(['simple', 'image_classifier']);
    s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple'], repo.path);
    client = grpcClient(s.grpcPort);
    simple = await httpConfig(s, 'simple');
  });
  after(async () => {
    client['close']();
    await s.close();
    await repo.remove();
  });

  /** Loads `model` with `config` over HTTP and gRPC: both refuse with UNSUPPORTED and `message`. */
  async function refused(model: string, config: Obj, message: string): Promise<void> {
    const r = await post(s.http, `/v2/repository/models/${model}/load`, {
      parameters: { config: JSON.stringify(config) },
    });
    const text = await r.text();
    assert.equal(r.status, 501, text);
    assert.equal((JSON.parse(text) as Obj)['error'], message);
    const e = await unaryError(client, 'RepositoryModelLoad', {
      model_name: model,
      parameters: { config: { string_param: JSON.stringify(config) } },
    });
    assert.equal(e.code, 12, e.details); // UNIMPLEMENTED
    assert.equal(e.details, message);
    assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
  }

  test('refused by name in a load override; the serving version keeps serving', async () => {
    const group0 = simple['instance_group'][0] as Obj;
    const cases: [Obj, string][] = [
      [{ sequence_batching: { iterative_sequence: true } }, 'sequence_batching.iterative_sequence'],
      [{ model_operations: { op_library_filename: ['libcustom.so'] } }, 'model_operations'],
      [
        { instance_group: [{ ...group0, rate_limiter: { resources: [{ name: 'R', count: 1 }] } }] },
        'instance_group[0].rate_limiter',
      ],
      [{ model_repository_agents: { agents: [{ name: 'checksum' }] } }, 'model_repository_agents'],
      [{ cc_model_filenames: { '8.0': 'model.js' } }, 'cc_model_filenames'],
      [{ metric_tags: { team: 'search' } }, 'metric_tags'],
      [{ optimization: { ...simple['optimization'], graph: { level: 1 } } }, 'optimization.graph'],
    ];
    for (const [extra, path] of cases) {
      const support = path === 'optimization.graph' ? 'by the js backend' : 'yet';
      await refused('simple', { ...simple, ...extra }, `model 'simple': ${path} is not supported ${support}`);
    }
  });

  test('defaults spelled out in an override load', async () => {
    const group0 = simple['instance_group'][0] as Obj;
    const config = {
      ...simple,
      response_cache: { enable: false },
      model_repository_agents: { agents: [] },
      instance_group: [{ ...group0, rate_limiter: {}, passive: false, host_policy: '' }],
      optimization: { ...simple['optimization'], priority: 'PRIORITY_DEFAULT', eager_batching: false },
    };
    const r = await post(s.http, '/v2/repository/models/simple/load', {
      parameters: { config: JSON.stringify(config) },
    });
    assert.equal(r.status, 200, await r.text());
  });

  test('an onnxruntime parameter tensorgate lacks, and an unknown key, are refused by name', async () => {
    assert.equal((await post(s.http, '/v2/repository/models/image_classifier/load')).status, 200);
    const ort = await httpConfig(s, 'image_classifier');
    await refused(
      'image_classifier',
      { ...ort, parameters: { gpu_mem_limit: { string_value: '1000000' } } },
      "model 'image_classifier': parameter 'gpu_mem_limit' is not supported by the onnxruntime backend: " +
        "Triton's CUDA provider option is not implemented",
    );
    const r = await post(s.http, '/v2/repository/models/image_classifier/load', {
      parameters: { config: JSON.stringify({ ...ort, parameters: { intra_op_threads: { string_value: '1' } } }) },
    });
    assert.equal(r.status, 400);
    assert.match(
      ((await r.json()) as Obj)['error'],
      /^model 'image_classifier': unknown parameter 'intra_op_threads' for the onnxruntime backend \(known: intra_op_thread_count, /,
    );
  });

  test('from config.pbtxt: the load fails naming the field, shown in the index', async () => {
    const dir = join(repo.path, 'sequenced');
    await mkdir(join(dir, '1'), { recursive: true });
    await writeFile(join(dir, '1', 'model.js'), 'export default class Model { execute(requests) { return []; } }\n');
    const io =
      'input [{ name: "x" data_type: TYPE_FP32 dims: [1] }] output [{ name: "y" data_type: TYPE_FP32 dims: [1] }]';
    const write = (extra: string) =>
      writeFile(join(dir, 'config.pbtxt'), `name: "sequenced"\nbackend: "js"\nmax_batch_size: 4\n${io}\n${extra}\n`);
    await write('sequence_batching { max_sequence_idle_microseconds: 5000000 iterative_sequence: true }');
    const r = await post(s.http, '/v2/repository/models/sequenced/load');
    assert.equal(r.status, 501);
    assert.equal(
      ((await r.json()) as Obj)['error'],
      "model 'sequenced': sequence_batching.iterative_sequence is not supported yet",
    );
    const index = (await (await post(s.http, '/v2/repository/index')).json()) as Obj[];
    const row = index.find((m) => m['name'] === 'sequenced');
    assert.equal(row?.['state'], 'UNAVAILABLE');
    assert.match(row?.['reason'], /sequence_batching\.iterative_sequence is not supported yet/);

    await write('instance_group [{ kind: KIND_CPU count: 1 }, { kind: KIND_CPU rate_limiter { priority: 1 } }]');
    const r2 = await post(s.http, '/v2/repository/models/sequenced/load');
    assert.equal(
      ((await r2.json()) as Obj)['error'],
      "model 'sequenced': instance_group[1].rate_limiter is not supported yet",
    );

    await write('response_cache { enable: false }\noptimization { }\nmodel_transaction_policy { decoupled: false }');
    const r3 = await post(s.http, '/v2/repository/models/sequenced/load');
    assert.equal(r3.status, 200, await r3.text());
  });

  test('an ensemble loads (no longer refused); its unimplemented fields are refused by name', async () => {
    const dir = join(repo.path, 'pipeline');
    await mkdir(join(dir, '1'), { recursive: true });
    const step =
      'model_name: "simple" model_version: -1 input_map { key: "INPUT0" value: "A" } input_map { key: "INPUT1" value: "B" } ' +
      'output_map { key: "OUTPUT0" value: "S" } output_map { key: "OUTPUT1" value: "D" }';
    const config = (extra: string): string =>
      'name: "pipeline"\nplatform: "ensemble"\nmax_batch_size: 8\n' +
      'input [{ name: "A" data_type: TYPE_INT32 dims: [16] }, { name: "B" data_type: TYPE_INT32 dims: [16] }]\n' +
      'output [{ name: "S" data_type: TYPE_INT32 dims: [16] }, { name: "D" data_type: TYPE_INT32 dims: [16] }]\n' +
      `ensemble_scheduling { ${extra} step [{ ${step} }] }\n`;
    await writeFile(join(dir, 'config.pbtxt'), config(''));
    const ok = await post(s.http, '/v2/repository/models/pipeline/load');
    assert.equal(ok.status, 200, await ok.text());
    await writeFile(join(dir, 'config.pbtxt'), config('max_inflight_requests: 4'));
    const r = await post(s.http, '/v2/repository/models/pipeline/load');
    assert.equal(r.status, 501);
    assert.match(
      ((await r.json()) as Obj)['error'],
      /^model 'pipeline': ensemble_scheduling\.max_inflight_requests is not supported yet/,
    );
    const e = await unaryError(client, 'RepositoryModelLoad', { model_name: 'pipeline' });
    assert.equal(e.code, 12);
    assert.match(e.details, /ensemble_scheduling\.max_inflight_requests is not supported yet/);
  });
});

describe('poll mode', () => {
  test('a config.pbtxt that asks for a repository agent fails to reload; the old version keeps serving', async () => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(['--model-control-mode', 'poll', '--repository-poll-secs', '1'], repo.path);
    try {
      const file = join(repo.path, 'simple', 'config.pbtxt');
      await writeFile(
        file,
        `${await readFile(file, 'utf8')}\nmodel_repository_agents { agents [ { name: "checksum" } ] }\n`,
      );
      await eventually(async () => {
        const index = (await (await post(s.http, '/v2/repository/index')).json()) as Obj[];
        return index.some(
          (m) => m['name'] === 'simple' && /model_repository_agents is not supported yet/.test(m['reason']),
        );
      });
      assert.equal((await fetch(`${s.http}/v2/models/simple/ready`)).status, 200);
      assert.equal((await fetch(`${s.http}/v2/health/ready`)).status, 200);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});
