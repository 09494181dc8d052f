/**
 * Triton's trace extension on the wire: HTTP `GET/POST /v2[/models/{m}]/trace/setting` and gRPC
 * TraceSetting read and change one state; per-model settings keep what a client set and follow
 * the global setting for the rest; clearing (null over HTTP, an empty value over gRPC) reverts to
 * the global value; values come back as strings (trace_level as a list), as Triton answers them;
 * bad values are refused with Triton's messages and change nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpc, grpcClient, unary, unaryError } from '../helpers/grpc-client.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let server: TestServer;
let dir: string;
let traceFile: string;
let client: ReturnType<typeof grpcClient>;

async function getSetting(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.http}${path}`);
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

async function postSetting(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.http}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const grpcValues = (msg: Record<string, any>): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries(msg['settings'] as Record<string, { value: string[] }>).map(([k, v]) => [k, v.value]),
  );

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tensorgate-trace-settings-'));
  traceFile = join(dir, 'trace.json');
  server = await startServer([
    '--model-control-mode',
    'explicit',
    '--load-model',
    'simple',
    '--load-model',
    'simple_ensemble',
    '--trace-config',
    `triton,file=${traceFile}`,
  ]);
  client = grpcClient(server.grpcPort);
});

after(async () => {
  client.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('trace settings over HTTP and gRPC', () => {
  test('the global settings read as Triton answers them (strings, trace_level a list), on both protocols', async () => {
    const expected = {
      trace_level: ['OFF'],
      trace_rate: '1000',
      trace_count: '-1',
      log_frequency: '0',
      trace_file: traceFile,
      trace_mode: 'triton',
    };
    assert.deepEqual(await getSetting('/v2/trace/setting'), expected);
    const viaGrpc = grpcValues(await unary(client, 'TraceSetting', {}));
    assert.deepEqual(viaGrpc, {
      trace_level: ['OFF'],
      trace_rate: ['1000'],
      trace_count: ['-1'],
      log_frequency: ['0'],
      trace_file: [traceFile],
      trace_mode: ['triton'],
    });
    const meta = (await (await fetch(`${server.http}/v2`)).json()) as { extensions: string[] };
    assert.ok(meta.extensions.includes('trace'), 'server metadata reports the trace extension');
  });

  test('a model setting keeps what was set, follows the global one for the rest, and null clears back', async () => {
    // Per model over HTTP: only trace_rate is the model's own.
    const set = await postSetting('/v2/models/simple/trace/setting', { trace_rate: '5' });
    assert.equal(set.status, 200);
    assert.equal(set.json['trace_rate'], '5');
    assert.deepEqual(set.json['trace_level'], ['OFF']);
    assert.equal((await getSetting('/v2/trace/setting'))['trace_rate'], '1000', 'global unchanged');
    assert.equal((await getSetting('/v2/models/simple_ensemble/trace/setting'))['trace_rate'], '1000');

    // A global change reaches what the model did not set, not what it did.
    const global = await postSetting('/v2/trace/setting', { trace_level: ['TIMESTAMPS'], trace_rate: '7' });
    assert.equal(global.status, 200);
    assert.deepEqual(global.json['trace_level'], ['TIMESTAMPS']);
    const model = await getSetting('/v2/models/simple/trace/setting');
    assert.deepEqual(model['trace_level'], ['TIMESTAMPS']);
    assert.equal(model['trace_rate'], '5');
    // gRPC sees the same state.
    assert.deepEqual(grpcValues(await unary(client, 'TraceSetting', { model_name: 'simple' }))['trace_rate'], ['5']);

    // Clearing the model's one setting: it follows the global setting entirely.
    const cleared = await postSetting('/v2/models/simple/trace/setting', { trace_rate: null });
    assert.equal(cleared.json['trace_rate'], '7');

    // Over gRPC: set per model, then an empty value clears it.
    const g = grpcValues(
      await unary(client, 'TraceSetting', {
        model_name: 'simple',
        settings: { trace_count: { value: ['3'] }, trace_level: { value: ['TIMESTAMPS', 'TENSORS'] } },
      }),
    );
    assert.deepEqual(g['trace_count'], ['3']);
    assert.deepEqual(g['trace_level'], ['TIMESTAMPS', 'TENSORS']);
    assert.deepEqual((await getSetting('/v2/models/simple/trace/setting'))['trace_level'], ['TIMESTAMPS', 'TENSORS']);
    const back = grpcValues(
      await unary(client, 'TraceSetting', {
        model_name: 'simple',
        settings: { trace_count: { value: [] }, trace_level: { value: [] } },
      }),
    );
    assert.deepEqual(back['trace_count'], ['-1']);
    assert.deepEqual(back['trace_level'], ['TIMESTAMPS']);

    // Clear the global ones back to the start-up values.
    const reset = await postSetting('/v2/trace/setting', { trace_level: null, trace_rate: null });
    assert.deepEqual(reset.json['trace_level'], ['OFF']);
    assert.equal(reset.json['trace_rate'], '1000');
  });

  test('bad requests get Triton-like errors and change nothing (HTTP)', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ trace_file: '/tmp/x.json' }, 501, 'trace file location can not be updated through network protocol'],
      [{ trace_rate: 'abc' }, 400, "Unable to parse 'trace_rate', got: abc"],
      [
        { trace_rate: '99999999999' },
        400,
        "Unable to parse 'trace_rate', value is out of range [ 0, 4294967295 ], got: 99999999999",
      ],
      [{ trace_count: '-5' }, 400, "Unable to parse 'trace_count'. Expecting value >= -1, got: -5"],
      [{ log_frequency: '1.5' }, 400, "Unable to parse 'log_frequency', got: 1.5"],
      [{ trace_level: ['OFF', 'TIMESTAMPS'] }, 400, "Expect only one trace level 'OFF' is specified"],
      [{ trace_level: ['LOUD'] }, 400, "trace_level 'LOUD' is invalid; expected OFF, TIMESTAMPS or TENSORS"],
      [{ trace_level: 'TIMESTAMPS' }, 400, '\'trace_level\' must be an array of strings (e.g. ["TIMESTAMPS"]) or null'],
      [{ trace_rate: 5 }, 400, '\'trace_rate\' must be a string (e.g. "100") or null'],
      [
        { trace_rate: '0', trace_level: ['TIMESTAMPS'] },
        400,
        'Attempting to set invalid trace setting :sample rate must be non-zero',
      ],
      [{ trace_mode: 'opentelemetry' }, 501, "trace setting 'trace_mode' can only be set at start-up (--trace-config)"],
      [
        { verbose: '1' },
        400,
        "trace setting 'verbose' is unknown; settings that can be updated: trace_level, trace_rate, trace_count, log_frequency",
      ],
    ];
    for (const [body, status, message] of cases) {
      const res = await postSetting('/v2/trace/setting', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.deepEqual(res.json, { error: message });
    }
    const proto = await fetch(`${server.http}/v2/trace/setting`, { method: 'POST', body: '{"__proto__":"1"}' });
    assert.equal(proto.status, 400);
    assert.match(((await proto.json()) as { error: string }).error, /^trace setting '__proto__' is unknown/);
    const unknown = await postSetting('/v2/models/nope/trace/setting', { trace_rate: '1' });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.json, { error: 'Request for unknown model : nope' });
    const get = await fetch(`${server.http}/v2/models/nope/trace/setting`);
    assert.equal(get.status, 400);
    const now = await getSetting('/v2/trace/setting');
    assert.deepEqual(now['trace_level'], ['OFF']);
    assert.equal(now['trace_rate'], '1000', 'refused updates changed nothing');
  });

  test('bad requests get Triton-like errors and change nothing (gRPC)', async () => {
    const cases: Array<[Record<string, { value: string[] }>, number, string]> = [
      [
        { trace_file: { value: ['/tmp/x'] } },
        grpc.status.UNIMPLEMENTED,
        'trace file location can not be updated through network protocol',
      ],
      [{ trace_rate: { value: ['1', '2'] } }, grpc.status.INVALID_ARGUMENT, "expect only 1 value for 'trace_rate'"],
      [{ trace_count: { value: ['x'] } }, grpc.status.INVALID_ARGUMENT, "Unable to parse 'trace_count', got: x"],
      [
        { trace_level: { value: ['OFF', 'TENSORS'] } },
        grpc.status.INVALID_ARGUMENT,
        "Expect only one trace level 'OFF' is specified",
      ],
    ];
    for (const [settings, code, message] of cases) {
      const e = await unaryError(client, 'TraceSetting', { settings });
      assert.equal(e.code, code, JSON.stringify(settings));
      assert.equal(e.details, message);
    }
    const e = await unaryError(client, 'TraceSetting', { model_name: 'nope', settings: {} });
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(e.details, 'Request for unknown model : nope');
    assert.deepEqual(grpcValues(await unary(client, 'TraceSetting', {}))['trace_rate'], ['1000']);
  });
});
