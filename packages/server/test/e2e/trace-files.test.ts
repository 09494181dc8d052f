/**
 * Traces written to Triton's JSON trace file, over the real wire: TIMESTAMPS in order for HTTP and
 * gRPC requests (unary and streamed), TENSORS records, `trace_rate` (1 of N) and `trace_count`
 * (stop after N, then the traces go to `<file>.0`), `log_frequency` rotation into
 * `<file>.<n>`, child traces with `parent_id` for an ensemble's steps and a BLS model's calls,
 * and the main file completed (a JSON array) when the server stops.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcClient, streamAll, unary } from '../helpers/grpc-client.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';
import { range, raw } from '../helpers/tensors.js';

type Rec = Record<string, any>;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tracedServer(flags: string[]): Promise<{ server: TestServer; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tensorgate-traces-'));
  const file = join(dir, 'trace.json');
  const server = await startServer([
    '--model-control-mode',
    'explicit',
    '--load-model',
    'simple',
    '--load-model',
    'simple_ensemble',
    '--load-model',
    'bls_simple',
    '--trace-config',
    `triton,file=${file}`,
    ...flags,
  ]);
  // Tests stop the server themselves to read the completed file; stopping twice is safe.
  cleanups.push(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { server, file };
}

async function httpInfer(server: TestServer, model: string, id: string): Promise<void> {
  const res = await fetch(`${server.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      id,
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: range(16, 1) },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: range(16) },
      ],
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.arrayBuffer();
}

const grpcRequest = (model: string, id: string): Rec => ({
  model_name: model,
  id,
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
  ],
  raw_input_contents: [raw('INT32', range(16, 1)), raw('INT32', range(16))],
});

/** The records of a trace file, grouped per trace id. */
interface Trace {
  id: number;
  header: Rec;
  stamps: Array<[string, number]>;
  tensors: Rec[];
}

function group(records: Rec[]): Trace[] {
  const byId = new Map<number, Trace>();
  for (const r of records) {
    const id = r['id'] as number;
    const t = byId.get(id) ?? { id, header: {}, stamps: [], tensors: [] };
    byId.set(id, t);
    if ('model_name' in r) t.header = r;
    else if ('timestamps' in r) for (const s of r['timestamps'] as Rec[]) t.stamps.push([s['name'], s['ns']]);
    else if ('activity' in r) t.tensors.push(r);
  }
  return [...byId.values()];
}

const readJson = async (path: string): Promise<Rec[]> => JSON.parse(await readFile(path, 'utf8')) as Rec[];

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}

function assertOrdered(t: Trace, names: string[]): void {
  const at = (name: string): number => {
    const s = t.stamps.find(([n]) => n === name);
    assert.ok(s, `trace ${t.id} (${t.header['model_name']}) has ${name}: ${JSON.stringify(t.stamps)}`);
    return s[1];
  };
  for (let i = 1; i < names.length; i++) {
    assert.ok(at(names[i - 1]!) <= at(names[i]!), `${names[i - 1]} <= ${names[i]} in ${JSON.stringify(t.stamps)}`);
  }
}

const CORE = [
  'REQUEST_START',
  'QUEUE_START',
  'COMPUTE_START',
  'COMPUTE_INPUT_END',
  'COMPUTE_OUTPUT_START',
  'COMPUTE_END',
  'REQUEST_END',
];

describe('trace files', () => {
  test('TIMESTAMPS: HTTP, gRPC and streamed requests, in order; the file is a JSON array once the server stops', async () => {
    const { server, file } = await tracedServer(['--trace-config', 'level=TIMESTAMPS', '--trace-config', 'rate=1']);
    await httpInfer(server, 'simple', 'over-http');
    const client = grpcClient(server.grpcPort);
    await unary(client, 'ModelInfer', grpcRequest('simple', 'over-grpc'));
    await streamAll(client, [grpcRequest('simple', 'over-stream')]);
    client.close();
    await server.close();
    const traces = group(await readJson(file));
    assert.equal(traces.length, 3);
    const byId = new Map(traces.map((t) => [t.header['request_id'] as string, t]));
    for (const t of traces) {
      assert.equal(t.header['model_name'], 'simple');
      assert.equal(t.header['model_version'], 1);
      assert.equal(t.header['parent_id'], undefined);
      assertOrdered(t, CORE);
    }
    const http = byId.get('over-http')!;
    assertOrdered(http, ['HTTP_RECV_START', 'HTTP_RECV_END', 'REQUEST_START']);
    assertOrdered(http, ['REQUEST_START', 'HTTP_SEND_START', 'HTTP_SEND_END']);
    for (const id of ['over-grpc', 'over-stream']) {
      assertOrdered(byId.get(id)!, ['REQUEST_START', 'GRPC_SEND_START', 'GRPC_SEND_END']);
    }
    assert.equal(http.tensors.length, 0, 'TIMESTAMPS only: no tensors');
  });

  test("Triton's generate extension is traced too (generate, generate_stream)", async () => {
    const { server, file } = await tracedServer(['--trace-config', 'level=TIMESTAMPS', '--trace-config', 'rate=1']);
    const body = JSON.stringify({ INPUT0: range(16, 1), INPUT1: range(16) });
    for (const path of ['generate', 'generate_stream']) {
      const res = await fetch(`${server.http}/v2/models/simple/${path}`, { method: 'POST', body });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /OUTPUT0/);
    }
    await server.close();
    const traces = group(await readJson(file));
    assert.equal(traces.length, 2);
    for (const t of traces) {
      assert.equal(t.header['model_name'], 'simple');
      assertOrdered(t, CORE);
      assertOrdered(t, ['HTTP_RECV_START', 'HTTP_RECV_END', 'REQUEST_START']);
      assertOrdered(t, ['REQUEST_START', 'HTTP_SEND_START', 'HTTP_SEND_END']);
    }
  });

  test('the grpc-js transport traces the same way', async () => {
    const { server, file } = await tracedServer([
      '--grpc-transport',
      'grpc-js',
      '--trace-config',
      'level=TIMESTAMPS',
      '--trace-config',
      'rate=1',
    ]);
    const client = grpcClient(server.grpcPort);
    await unary(client, 'ModelInfer', grpcRequest('simple', 'over-grpc-js'));
    client.close();
    await server.close();
    const [trace, ...rest] = group(await readJson(file));
    assert.equal(rest.length, 0);
    assert.equal(trace!.header['request_id'], 'over-grpc-js');
    assertOrdered(trace!, CORE);
    assertOrdered(trace!, ['REQUEST_START', 'GRPC_SEND_START', 'GRPC_SEND_END']);
  });

  test('trace_rate traces 1 request of N; trace_count stops after N and writes them to <file>.0', async () => {
    const { server, file } = await tracedServer([
      '--trace-config',
      'level=TIMESTAMPS',
      '--trace-config',
      'rate=3',
      '--trace-config',
      'count=2',
    ]);
    for (let i = 1; i <= 10; i++) await httpInfer(server, 'simple', `r${i}`);
    await eventually(() => exists(`${file}.0`));
    const traces = group(await readJson(`${file}.0`));
    assert.deepEqual(
      traces.map((t) => t.header['request_id']),
      ['r3', 'r6'],
    );
    const setting = (await (await fetch(`${server.http}/v2/trace/setting`)).json()) as Rec;
    assert.equal(setting['trace_count'], '0', 'the count left to collect');
    // A new count (a new setting) traces again, counting requests from 0.
    await fetch(`${server.http}/v2/trace/setting`, { method: 'POST', body: JSON.stringify({ trace_count: '1' }) });
    for (let i = 11; i <= 13; i++) await httpInfer(server, 'simple', `r${i}`);
    await eventually(() => exists(`${file}.1`));
    assert.deepEqual(
      group(await readJson(`${file}.1`)).map((t) => t.header['request_id']),
      ['r13'],
    );
  });

  test('log_frequency: every N traces go to a new <file>.<n>; the rest when the server stops', async () => {
    const { server, file } = await tracedServer(['--trace-config', 'level=TIMESTAMPS', '--trace-config', 'rate=1']);
    const res = await fetch(`${server.http}/v2/models/simple/trace/setting`, {
      method: 'POST',
      body: JSON.stringify({ log_frequency: '2' }),
    });
    assert.equal(res.status, 200);
    for (let i = 1; i <= 5; i++) await httpInfer(server, 'simple', `r${i}`);
    await eventually(async () => (await exists(`${file}.0`)) && (await exists(`${file}.1`)));
    assert.deepEqual(
      group(await readJson(`${file}.0`)).map((t) => t.header['request_id']),
      ['r1', 'r2'],
    );
    assert.deepEqual(
      group(await readJson(`${file}.1`)).map((t) => t.header['request_id']),
      ['r3', 'r4'],
    );
    assert.equal(await exists(`${file}.2`), false);
    await server.close();
    assert.deepEqual(
      group(await readJson(`${file}.2`)).map((t) => t.header['request_id']),
      ['r5'],
    );
  });

  test('an ensemble and a BLS model: their steps and calls are child traces with parent_id; TENSORS records', async () => {
    const { server, file } = await tracedServer([
      '--trace-config',
      'level=TIMESTAMPS',
      '--trace-config',
      'level=TENSORS',
      '--trace-config',
      'rate=1',
    ]);
    await httpInfer(server, 'simple_ensemble', 'ens');
    const client = grpcClient(server.grpcPort);
    await unary(client, 'ModelInfer', grpcRequest('bls_simple', 'bls'));
    client.close();
    await server.close();
    const traces = group(await readJson(file));
    const ensemble = traces.find((t) => t.header['model_name'] === 'simple_ensemble')!;
    const steps = traces.filter((t) => t.header['parent_id'] === ensemble.id);
    assert.equal(steps.length, 2);
    for (const s of steps) {
      assert.equal(s.header['model_name'], 'simple');
      assert.equal(s.header['request_id'], 'ens');
      assertOrdered(s, CORE);
    }
    assertOrdered(ensemble, ['REQUEST_START', 'QUEUE_START', 'REQUEST_END']);
    // The ensemble's own tensors: its inputs as queued, its outputs (2 * inputs).
    const input0 = ensemble.tensors.find(
      (r) => r['activity'] === 'TENSOR_QUEUE_INPUT' && r['tensor'].name === 'INPUT0',
    );
    assert.deepEqual(input0?.['tensor'], {
      name: 'INPUT0',
      data: range(16, 1).join(','),
      shape: '1,16',
      dtype: 'INT32',
    });
    const output0 = ensemble.tensors.find(
      (r) => r['activity'] === 'TENSOR_BACKEND_OUTPUT' && r['tensor'].name === 'OUTPUT0',
    );
    assert.equal(
      output0?.['tensor'].data,
      range(16, 1)
        .map((v) => 2 * v)
        .join(','),
    );

    const bls = traces.find((t) => t.header['model_name'] === 'bls_simple')!;
    assertOrdered(bls, CORE);
    assertOrdered(bls, ['REQUEST_START', 'GRPC_SEND_START', 'GRPC_SEND_END']);
    const call = traces.find((t) => t.header['parent_id'] === bls.id);
    assert.equal(call?.header['model_name'], 'simple');
    assertOrdered(call!, CORE);
    // The call ended before bls_simple's request did (both read on the main thread's clock).
    const at = (t: Trace, n: string): number => t.stamps.find(([name]) => name === n)![1];
    assert.ok(at(call!, 'REQUEST_END') <= at(bls, 'REQUEST_END'));
    assert.equal(traces.length, 5, 'nothing else was traced');
  });
});
