/**
 * Wire tests of the gRPC frontend: a real grpc-js server on port 0 over a fake core, called
 * with a grpc-js client built from the same protos.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { decodeElements, encodeElements, loadProtoRoot } from '@tensorgate/protocol';
import { pino } from 'pino';
import { InferenceError } from '../../core/errors.js';
import { CLIENT_SHM_DISABLED } from '../shared-memory/system-shared-memory.js';
import type { RequestContext } from '../../core/types.js';
import { FakeCore } from './fake-core.test-helper.js';
import { connect, grpc, unary, unaryError, type Msg, type TestClient } from './grpc-client.test-helper.js';
import { createGrpcFrontend, type GrpcFrontend } from './grpc-server.js';

const logger = pino({ level: 'silent' });
let core: FakeCore;
let frontend: GrpcFrontend;
let client: TestClient;
let port: number;

before(async () => {
  core = new FakeCore();
  frontend = createGrpcFrontend(core, { logger });
  port = await frontend.listen(0, '127.0.0.1');
  client = connect(port, 'inference.GRPCInferenceService');
});
after(async () => {
  client.close();
  await frontend.close(1000);
});

const echoRequest = (extra: Msg = {}): Msg => ({
  model_name: 'echo',
  id: 'req-7',
  inputs: [
    { name: 'A', datatype: 'FP32', shape: [1, 2] },
    { name: 'B', datatype: 'BYTES', shape: [2] },
  ],
  raw_input_contents: [encodeElements('FP32', [1.5, -2]), encodeElements('BYTES', ['x', 'yz'])],
  ...extra,
});

const stillServing = async (): Promise<void> => {
  const r = await unary(client, 'ModelInfer', echoRequest());
  assert.equal(r['id'], 'req-7');
};

describe('server and model RPCs', () => {
  test('live, ready, server metadata', async () => {
    assert.equal((await unary(client, 'ServerLive', {}))['live'], true);
    assert.equal((await unary(client, 'ServerReady', {}))['ready'], true);
    core.ready = false;
    assert.equal((await unary(client, 'ServerReady', {}))['ready'], false);
    core.ready = true;
    assert.deepEqual(await unary(client, 'ServerMetadata', {}), {
      name: 'fake',
      version: '0.0.1',
      extensions: ['classification', 'model_repository'],
    });
  });

  test('model ready, metadata, config, statistics', async () => {
    assert.equal((await unary(client, 'ModelReady', { name: 'echo' }))['ready'], true);
    assert.equal((await unary(client, 'ModelReady', { name: 'echo', version: '2' }))['ready'], false);
    const md = await unary(client, 'ModelMetadata', { name: 'echo' });
    assert.deepEqual(md['inputs'], [{ name: 'IN', datatype: 'FP32', shape: [-1, 4] }]);
    const cfg = (await unary(client, 'ModelConfig', { name: 'echo' }))['config'];
    assert.equal(cfg.name, 'echo');
    assert.equal(cfg.max_batch_size, 8);
    assert.equal(cfg.input[0].data_type, 'TYPE_FP32');
    assert.deepEqual(cfg.input[0].dims, [4]);
    assert.equal(cfg.instance_group[0].kind, 'KIND_CPU');
    assert.equal(cfg.parameters.k.string_value, 'v');
    assert.deepEqual(cfg.version_policy.latest, { num_versions: 1 });
    const st = await unary(client, 'ModelStatistics', { name: 'echo' });
    assert.equal(st['model_stats'][0].inference_stats.success.count, 5);
    assert.equal(st['model_stats'][0].batch_stats[0].compute_infer.ns, 40);
    const e = await unaryError(client, 'ModelConfig', { name: 'nope' });
    assert.equal(e.code, grpc.status.NOT_FOUND);
    assert.match(e.details, /'nope' is not found/);
  });

  test('repository index, load (config and file: parameters), unload', async () => {
    const all = await unary(client, 'RepositoryIndex', {});
    assert.deepEqual(
      all['models'].map((m: Msg) => `${m['name']}:${m['state']}`),
      ['echo:READY', 'broken:UNAVAILABLE'],
    );
    const ready = await unary(client, 'RepositoryIndex', { ready: true });
    assert.equal(ready['models'].length, 1);
    await unary(client, 'RepositoryModelLoad', {
      model_name: 'echo',
      parameters: { config: { string_param: '{"max_batch_size":2}' } },
    });
    assert.deepEqual(core.loads.at(-1), { name: 'echo', options: { config: '{"max_batch_size":2}' } });
    const f = await unaryError(client, 'RepositoryModelLoad', {
      model_name: 'echo',
      parameters: { 'file:1/model.onnx': { bytes_param: Buffer.from([1]) } },
    });
    assert.equal(f.code, grpc.status.UNIMPLEMENTED);
    assert.match(f.details, /file:1\/model.onnx.*not supported/);
    const bad = await unaryError(client, 'RepositoryModelLoad', {
      model_name: 'echo',
      parameters: { config: { bool_param: true } },
    });
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    // Unknown parameters are refused by name, as over HTTP (they were ignored).
    const loads = core.loads.length;
    const unknown = await unaryError(client, 'RepositoryModelLoad', {
      model_name: 'echo',
      parameters: { confg: { string_param: '{}' } },
    });
    assert.equal(unknown.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(unknown.details, "load model request: unknown parameter 'confg' (supported: 'config')");
    const unknownUnload = await unaryError(client, 'RepositoryModelUnload', {
      model_name: 'echo',
      parameters: { unload_dependent: { bool_param: true } },
    });
    assert.equal(unknownUnload.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(
      unknownUnload.details,
      "unload model request: unknown parameter 'unload_dependent' (supported: 'unload_dependents')",
    );
    assert.equal(core.loads.length, loads, 'a refused load reached the core');
    assert.equal(
      (await unaryError(client, 'RepositoryModelLoad', { model_name: 'missing' })).code,
      grpc.status.NOT_FOUND,
    );
    await unary(client, 'RepositoryModelUnload', {
      model_name: 'echo',
      parameters: { unload_dependents: { bool_param: true } },
    });
    assert.deepEqual(core.unloads.at(-1), { name: 'echo', options: { unloadDependents: true } });
  });

  test('shared memory, client regions off (the default): status lists none, changes are UNIMPLEMENTED', async () => {
    assert.deepEqual((await unary(client, 'SystemSharedMemoryStatus', {}))['regions'], {});
    assert.deepEqual((await unary(client, 'CudaSharedMemoryStatus', {}))['regions'], {});
    for (const rpc of [
      'SystemSharedMemoryRegister',
      'SystemSharedMemoryUnregister',
      'CudaSharedMemoryRegister',
      'CudaSharedMemoryUnregister',
    ]) {
      const e = await unaryError(client, rpc, { name: 'r' });
      assert.equal(e.code, grpc.status.UNIMPLEMENTED, rpc);
      assert.equal(e.details, CLIENT_SHM_DISABLED);
    }
  });

  test('trace settings: read, update known keys, reject unknown ones', async () => {
    const current = await unary(client, 'TraceSetting', {});
    assert.deepEqual(current['settings'].trace_level.value, ['OFF']);
    const updated = await unary(client, 'TraceSetting', {
      model_name: 'echo',
      settings: { trace_rate: { value: ['50'] } },
    });
    assert.deepEqual(updated['settings'].trace_rate.value, ['50']);
    assert.deepEqual(
      (await unary(client, 'TraceSetting', {}))['settings'].trace_rate.value,
      ['1000'],
      'global unchanged',
    );
    const e = await unaryError(client, 'TraceSetting', { settings: { nope: { value: ['1'] } } });
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    assert.match(e.details, /nope/);
  });

  test('trace settings that cannot take effect are refused, not stored: trace_file (as Triton), a level without a file', async () => {
    const file = await unaryError(client, 'TraceSetting', { settings: { trace_file: { value: ['/tmp/t.json'] } } });
    assert.equal(file.code, grpc.status.UNIMPLEMENTED);
    assert.equal(file.details, 'trace file location can not be updated through network protocol');
    const level = await unaryError(client, 'TraceSetting', {
      settings: { trace_level: { value: ['TIMESTAMPS'] }, trace_rate: { value: ['5'] } },
    });
    // This server has no trace file (--trace-config triton,file=...), so no trace could be written.
    assert.equal(level.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(level.details, 'Attempting to set invalid trace setting :trace file name is not given');
    const now = (await unary(client, 'TraceSetting', {}))['settings'];
    assert.deepEqual(now.trace_level.value, ['OFF']);
    assert.deepEqual(now.trace_rate.value, ['1000'], 'a refused update changed nothing');
    assert.deepEqual(now.trace_file.value, ['']);
    await unary(client, 'TraceSetting', { settings: { trace_level: { value: ['OFF'] } } });
  });

  test('trace settings of a model that is not ready: INVALID_ARG, nothing stored', async () => {
    // Settings are kept per model name: any made-up name used to be stored, so names of up to the
    // message limit each grew the server's heap until it died. Triton refuses unknown models too.
    for (const model_name of ['nope', 'x'.repeat(1000)]) {
      for (const settings of [{ trace_rate: { value: ['7'] } }, {}]) {
        const e = await unaryError(client, 'TraceSetting', { model_name, settings });
        assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
        assert.equal(e.details, `Request for unknown model : ${model_name}`);
      }
    }
    assert.deepEqual((await unary(client, 'TraceSetting', {}))['settings'].trace_rate.value, ['1000']);
  });

  test('log settings: read and update', async () => {
    const current = (await unary(client, 'LogSettings', {}))['settings'];
    assert.equal(current.log_format.string_param, 'default');
    assert.equal(typeof current.log_info.bool_param, 'boolean');
    const updated = (await unary(client, 'LogSettings', { settings: { log_verbose_level: { uint32_param: 1 } } }))[
      'settings'
    ];
    assert.equal(updated.log_verbose_level.uint32_param, 1);
    const e = await unaryError(client, 'LogSettings', { settings: { log_info: { string_param: 'yes' } } });
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    const file = await unaryError(client, 'LogSettings', { settings: { log_file: { string_param: '/tmp/x.log' } } });
    assert.equal(file.code, grpc.status.UNIMPLEMENTED);
    assert.equal(file.details, 'log file location can not be updated through network protocol');
    await unary(client, 'LogSettings', { settings: { log_verbose_level: { uint32_param: 0 } } });
  });
});

describe('ModelInfer', () => {
  test('raw inputs are echoed through raw_output_contents with id, version and parameters', async () => {
    const r = await unary(client, 'ModelInfer', echoRequest({ parameters: { p: { int64_param: 3 } } }));
    assert.equal(r['id'], 'req-7');
    assert.equal(r['model_name'], 'echo');
    assert.equal(r['model_version'], '1');
    assert.equal(r['parameters'].p.int64_param, 3);
    assert.deepEqual(
      r['outputs'].map((o: Msg) => [o['name'], o['datatype'], o['shape']]),
      [
        ['OUT_A', 'FP32', [1, 2]],
        ['OUT_B', 'BYTES', [2]],
      ],
    );
    assert.equal(r['outputs'][0].contents, null);
    assert.deepEqual(decodeElements('FP32', r['raw_output_contents'][0]), [1.5, -2]);
    assert.deepEqual(decodeElements('BYTES', r['raw_output_contents'][1]), ['x', 'yz']);
    const ctx = core.contexts.at(-1) as RequestContext;
    assert.equal(ctx.allowDecoupled, false);
    assert.equal(ctx.protocol, 'grpc');
  });

  test('typed contents are converted to raw bytes', async () => {
    const r = await unary(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'I', datatype: 'INT64', shape: [3], contents: { int64_contents: [-1, 0, 2 ** 40] } }],
    });
    assert.deepEqual(decodeElements('INT64', r['raw_output_contents'][0]), [-1, 0, 2 ** 40]);
  });

  test('a 64 MB tensor passes with the default message limit', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024, 7);
    const r = await unary(client, 'ModelInfer', {
      model_name: 'echo',
      inputs: [{ name: 'X', datatype: 'UINT8', shape: [big.length] }],
      raw_input_contents: [big],
    });
    assert.equal(r['raw_output_contents'][0].length, big.length);
    assert.ok(Buffer.from(r['raw_output_contents'][0]).equals(big));
  });

  const errors: Array<[string, Msg, number, RegExp]> = [
    [
      'mixed raw and typed contents',
      echoRequest({
        inputs: [
          { name: 'A', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } },
          { name: 'B', datatype: 'BYTES', shape: [2] },
        ],
      }),
      grpc.status.INVALID_ARGUMENT,
      /'A'.*raw_input_contents/,
    ],
    ['unknown model', echoRequest({ model_name: 'nope' }), grpc.status.NOT_FOUND, /'nope'/],
    [
      'decoupled model on the unary RPC',
      { model_name: 'decoupled', inputs: [] },
      grpc.status.UNIMPLEMENTED,
      /decoupled/,
    ],
  ];
  for (const [name, request, code, re] of errors) {
    test(`error: ${name}`, async () => {
      const e = await unaryError(client, 'ModelInfer', request);
      assert.equal(e.code, code, e.details);
      assert.match(e.details, re);
      await stillServing();
    });
  }

  test('the deadline aborts the core request and the client gets DEADLINE_EXCEEDED', async () => {
    const aborted = once(core, 'aborted');
    const e = await unaryError(
      client,
      'ModelInfer',
      { model_name: 'hang', inputs: [] },
      { deadline: Date.now() + 150 },
    );
    assert.equal(e.code, grpc.status.DEADLINE_EXCEEDED);
    const [reason] = await aborted;
    assert.ok(reason instanceof InferenceError);
    await stillServing();
  });

  test('client cancellation reaches the core signal', async () => {
    const started = once(core, 'request');
    const aborted = once(core, 'aborted');
    const result = new Promise<grpc.ServiceError>((resolve) => {
      const call = client['ModelInfer']({ model_name: 'hang', inputs: [] }, (err: grpc.ServiceError) => resolve(err));
      void started.then(() => call.cancel());
    });
    assert.equal((await result).code, grpc.status.CANCELLED);
    const [reason] = await aborted;
    assert.equal((reason as InferenceError).code, 'CANCELLED');
    await stillServing();
  });

  test('garbage bytes get an error status and the server keeps serving', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    // An invalid wire type, then a string whose length runs past the end of the message.
    for (const garbage of [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), Buffer.from([0x0a, 0xff, 0x01])]) {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => {
        raw.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          (b: Buffer) => b,
          (b: Buffer) => b,
          garbage,
          (e) => resolve(e),
        );
      });
      assert.ok(err);
      assert.equal(err.code, grpc.status.INTERNAL);
    }
    raw.close();
    await stillServing();
  });

  test('maxMessageBytes limits what the server accepts', async () => {
    const small = createGrpcFrontend(core, { logger, maxMessageBytes: 1024 });
    const smallPort = await small.listen(0, '127.0.0.1');
    const c = connect(smallPort, 'inference.GRPCInferenceService');
    try {
      const e = await unaryError(c, 'ModelInfer', {
        model_name: 'echo',
        inputs: [{ name: 'X', datatype: 'UINT8', shape: [4096] }],
        raw_input_contents: [Buffer.alloc(4096)],
      });
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal((await unary(c, 'ServerLive', {}))['live'], true);
    } finally {
      c.close();
      await small.close(1000);
    }
  });
});

describe('health service', () => {
  test('Check follows readiness; unknown services are NOT_FOUND', async () => {
    const health = connect(port, 'grpc.health.v1.Health');
    try {
      assert.equal((await unary(health, 'Check', { service: '' }))['status'], 'SERVING');
      assert.equal((await unary(health, 'Check', { service: 'inference.GRPCInferenceService' }))['status'], 'SERVING');
      core.ready = false;
      assert.equal((await unary(health, 'Check', { service: '' }))['status'], 'NOT_SERVING');
      core.ready = true;
      assert.equal((await unaryError(health, 'Check', { service: 'other.Service' })).code, grpc.status.NOT_FOUND);
    } finally {
      health.close();
    }
  });

  test('Watch sends the current status, then changes', async () => {
    const health = connect(port, 'grpc.health.v1.Health');
    const call = health['Watch']({ service: '' }) as grpc.ClientReadableStream<Msg>;
    const seen: string[] = [];
    const twoSeen = new Promise<void>((resolve) => {
      call.on('data', (m: Msg) => {
        seen.push(m['status']);
        if (seen.length === 1) core.ready = false;
        if (seen.length === 2) resolve();
      });
    });
    call.on('error', () => undefined);
    await twoSeen;
    call.cancel();
    core.ready = true;
    health.close();
    assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
  });
});

test('the protos declare all 20 RPCs of GRPCInferenceService', () => {
  assert.equal(loadProtoRoot().lookupService('inference.GRPCInferenceService').methodsArray.length, 20);
});
