/**
 * The sequence batcher over the real wire (HTTP, gRPC unary, gRPC ModelStreamInfer on both gRPC
 * transports): control values the model sees, empty slots with READY false, direct and oldest,
 * string and UINT64 ids, idle release, sequences waiting for a slot and the backlog bound, errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { grpcClient, streamAll, unary, unaryError, type Msg } from '../helpers/grpc-client.js';
import { GraphBuilder } from '@tensorgate/onnx-gen';
import { onnxRepository } from '../helpers/onnx-models.js';
import { sequenceRepository } from '../helpers/sequence-models.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';
import { raw } from '../helpers/tensors.js';

type Row = [start: number, end: number, ready: number, corrid: number | string, input: number];

let repo: string;
let s: TestServer;
let client: ReturnType<typeof grpcClient>;
before(async () => {
  repo = await sequenceRepository();
  s = await startServer(['--max-sequence-backlog', '1'], repo);
  client = grpcClient(s.grpcPort);
});
after(async () => {
  client.close();
  await s.close();
  await rm(repo, { recursive: true, force: true });
});

/** One HTTP infer; resolves with the batch rows, or the error (status and message). */
async function http(
  model: string,
  input: number,
  params: Record<string, unknown>,
): Promise<Row[] | { status: number; error: string }> {
  const batching = model !== 'seq_one';
  const r = await fetch(`${s.http}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({
      inputs: [{ name: 'INPUT', datatype: 'INT32', shape: batching ? [1, 1] : [1], data: [input] }],
      parameters: params,
    }),
  });
  const body = (await r.json()) as { outputs?: Array<{ data: string[] }>; error?: string };
  if (!r.ok) return { status: r.status, error: body.error ?? '' };
  return JSON.parse(body.outputs![0]!.data[0]!) as Row[];
}

const grpcRequest = (model: string, input: number, params: Msg, id = ''): Msg => ({
  model_name: model,
  id,
  inputs: [{ name: 'INPUT', datatype: 'INT32', shape: model === 'seq_one' ? [1] : [1, 1] }],
  raw_input_contents: [raw('INT32', [input])],
  parameters: params,
});

/** The batch rows in a gRPC response. */
const rowsOf = (res: Msg): Row[] => {
  const bytes = Buffer.from(res['raw_output_contents'][0]);
  return JSON.parse(bytes.subarray(4).toString('utf8')) as Row[];
};

describe('direct', () => {
  test('HTTP: the model sees START, END, READY, CORRID; an empty slot below a used one is READY false', async () => {
    assert.deepEqual(await http('seq_direct', 5, { sequence_id: 41, sequence_start: true }), [[1, 0, 1, 41, 5]]);
    assert.deepEqual(await http('seq_direct', 6, { sequence_id: 42, sequence_start: true }), [
      [0, 0, 0, 0, 0],
      [1, 0, 1, 42, 6],
    ]);
    assert.deepEqual(await http('seq_direct', 7, { sequence_id: 41, sequence_end: true }), [[0, 1, 1, 41, 7]]);
    // 41 ended: its slot 0 is free, 42 keeps slot 1.
    assert.deepEqual(await http('seq_direct', 8, { sequence_id: 42, sequence_end: true }), [
      [0, 0, 0, 0, 0],
      [0, 1, 1, 42, 8],
    ]);
    const after = await http('seq_direct', 9, { sequence_id: 41 });
    assert.deepEqual(after, {
      status: 400,
      error:
        "inference request for sequence 41 to model 'seq_direct' must specify the START flag on the first request of the sequence",
    });
  });

  test('gRPC unary: parameters reach the core (int64 and uint64 ids)', async () => {
    const start = await unary(
      client,
      'ModelInfer',
      grpcRequest('seq_direct', 3, { sequence_id: { uint64_param: 77 }, sequence_start: { bool_param: true } }),
    );
    assert.deepEqual(rowsOf(start), [[1, 0, 1, 77, 3]]);
    const end = await unary(
      client,
      'ModelInfer',
      grpcRequest('seq_direct', 4, { sequence_id: { int64_param: 77 }, sequence_end: { bool_param: true } }),
    );
    assert.deepEqual(rowsOf(end), [[0, 1, 1, 77, 4]]);
  });

  test('errors: no sequence id, a string id for a UINT64 CORRID, a control input sent by the client', async () => {
    assert.deepEqual(await http('seq_direct', 1, {}), {
      status: 400,
      error: "inference request to model 'seq_direct' must specify a non-zero or non-empty correlation ID",
    });
    assert.deepEqual(await http('seq_direct', 1, { sequence_id: 'abc', sequence_start: true }), {
      status: 400,
      error: "sequence batching control 'CORRID' data-type is 'BYTES', but model 'seq_direct' expects 'UINT64'",
    });
    const e = await unaryError(client, 'ModelInfer', {
      ...grpcRequest('seq_direct', 1, { sequence_id: { int64_param: 5 }, sequence_start: { bool_param: true } }),
      inputs: [
        { name: 'INPUT', datatype: 'INT32', shape: [1, 1] },
        { name: 'READY', datatype: 'BOOL', shape: [1, 1] },
      ],
      raw_input_contents: [raw('INT32', [1]), Buffer.from([1])],
    });
    assert.equal(e.code, 3);
    assert.match(e.details, /input 'READY' of a request for model 'seq_direct' is a sequence control input/);
  });

  test('an idle sequence is released; its next request without START fails naming it', async () => {
    assert.deepEqual(await http('seq_idle', 1, { sequence_id: 5, sequence_start: true }), [[1, 0, 1, 5, 1]]);
    await sleep(400); // idle limit 100 ms: the server's timer runs before this one
    assert.deepEqual(await http('seq_idle', 2, { sequence_id: 5 }), {
      status: 400,
      error:
        "inference request for sequence 5 to model 'seq_idle' must specify the START flag on the first request of the sequence",
    });
  });
});

describe('more sequences than slots', () => {
  test('a new sequence waits for a slot (string ids); past --max-sequence-backlog it is refused', async () => {
    assert.deepEqual(await http('seq_one', 1, { sequence_id: 'a', sequence_start: true }), [[1, 0, 1, 'a', 1]]);
    let bDone = false;
    const b = http('seq_one', 2, { sequence_id: 'b', sequence_start: true }).then((r) => {
      bDone = true;
      return r;
    });
    // Wait until b is in the backlog (one waiting sequence), then c finds the backlog full.
    let c: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 100; i++) {
      c = await http('seq_one', 3, { sequence_id: 'c', sequence_start: true });
      if (!Array.isArray(c)) break;
      await sleep(20);
    }
    assert.ok(c && !Array.isArray(c));
    assert.equal(c.status, 429);
    assert.match(c.error, /sequence c to model 'seq_one' rejected: all 1 sequence slots are taken and 1 sequences/);
    assert.deepEqual(await http('seq_one', 4, { sequence_id: 'a' }), [[0, 0, 1, 'a', 4]]);
    assert.equal(bDone, false, 'b still waits while a holds the only slot');
    assert.deepEqual(await http('seq_one', 5, { sequence_id: 'a', sequence_end: true }), [[0, 1, 1, 'a', 5]]);
    assert.deepEqual(await b, [[1, 0, 1, 'b', 2]]);
    assert.deepEqual(await http('seq_one', 6, { sequence_id: 'b', sequence_end: true }), [[0, 1, 1, 'b', 6]]);
  });
});

describe('waiting requests: deadlines, timeouts, reloads', () => {
  test("a waiting request's deadline cancels its sequence; a `timeout` parameter expires a waiting sequence", async () => {
    assert.deepEqual(await http('seq_one', 1, { sequence_id: 'h', sequence_start: true }), [[1, 0, 1, 'h', 1]]);
    const e = await unaryError(
      client,
      'ModelInfer',
      grpcRequest('seq_one', 2, { sequence_id: { string_param: 'w' }, sequence_start: { bool_param: true } }),
      { deadline: Date.now() + 300 },
    );
    assert.equal(e.code, 4); // DEADLINE_EXCEEDED
    // Once the server has cancelled 'w', the backlog has room again: 'x' waits there until its
    // 1 ms timeout expires it.
    let x: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 100; i++) {
      x = await http('seq_one', 3, { sequence_id: 'x', sequence_start: true, timeout: 1000 });
      if (!Array.isArray(x) && x.status !== 429) break;
      await sleep(20);
    }
    assert.deepEqual(x, { status: 503, error: 'timeout of the corresponding sequence has been expired' });
    assert.deepEqual(await http('seq_one', 4, { sequence_id: 'h', sequence_end: true }), [[0, 1, 1, 'h', 4]]);
    const w = await http('seq_one', 5, { sequence_id: 'w' });
    assert.ok(!Array.isArray(w) && /sequence w to model 'seq_one' must specify the START flag/.test(w.error));
  });

  test('a reload fails the sequences waiting for a slot; live ones end with the old version', async () => {
    const r = await startServer(['--model-control-mode', 'explicit', '--load-model', 'seq_one'], repo);
    const call = async (v: number, params: Record<string, unknown>) => {
      const res = await fetch(`${r.http}/v2/models/seq_one/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1], data: [v] }],
          parameters: params,
        }),
      });
      return { status: res.status, body: (await res.json()) as { error?: string } };
    };
    try {
      assert.equal((await call(1, { sequence_id: 'live', sequence_start: true })).status, 200);
      const waiting = call(2, { sequence_id: 'waiting', sequence_start: true });
      // Wait until the server holds 'waiting' in the backlog (pending gauge 1), so the reload finds it.
      const pending = async () => {
        const text = await (await fetch(r.metrics)).text();
        return /nv_inference_pending_request_count\{model="seq_one",version="1"\} 1\b/.test(text);
      };
      await eventually(pending);
      const load = await fetch(`${r.http}/v2/repository/models/seq_one/load`, { method: 'POST' });
      assert.equal(load.status, 200, await load.text());
      const w = await waiting;
      assert.equal(w.status, 503);
      assert.equal(w.body.error, "model 'seq_one' version 1 is unloading");
      const after = await call(3, { sequence_id: 'live' });
      assert.equal(after.status, 400);
      assert.match(after.body.error!, /sequence live to model 'seq_one' must specify the START flag/);
      assert.equal((await call(4, { sequence_id: 'new', sequence_start: true })).status, 200);
    } finally {
      await r.close();
    }
  });
});

describe('oldest', () => {
  test('gRPC stream: requests of two sequences batch together, at most one per sequence, in order', async () => {
    const p = (id: number, flags: Msg = {}): Msg => ({ sequence_id: { int64_param: id }, ...flags });
    const start = { sequence_start: { bool_param: true } };
    const end = { sequence_end: { bool_param: true } };
    const got = await streamAll(client, [
      grpcRequest('seq_oldest', 1, p(100, start), 'a1'),
      grpcRequest('seq_oldest', 2, p(100), 'a2'),
      grpcRequest('seq_oldest', 3, p(100, end), 'a3'),
      grpcRequest('seq_oldest', 11, p(200, start), 'b1'),
      grpcRequest('seq_oldest', 12, p(200), 'b2'),
      grpcRequest('seq_oldest', 13, p(200, end), 'b3'),
    ]);
    assert.equal(got.filter((m) => m['error_message']).length, 0, JSON.stringify(got));
    const byId = new Map(got.map((m) => [m['infer_response'].id as string, rowsOf(m['infer_response'])]));
    for (const [a, b] of [
      ['a1', 'b1'],
      ['a2', 'b2'],
      ['a3', 'b3'],
    ] as const) {
      const rows = byId.get(a)!;
      assert.deepEqual(rows, byId.get(b), `${a} and ${b} in one batch`);
      assert.deepEqual(rows.map((r) => r[3]).sort(), [100, 200]);
    }
    assert.deepEqual(
      byId.get('a1')!.find((r) => r[3] === 100),
      [1, 0, 1, 100, 1],
    );
    assert.deepEqual(
      byId.get('a3')!.find((r) => r[3] === 100),
      [0, 1, 1, 100, 3],
    );
  });
});

describe('the grpc-js transport', () => {
  test('ModelStreamInfer carries sequence parameters to the core', async () => {
    const js = await startServer(['--grpc-transport', 'grpc-js'], repo);
    const c = grpcClient(js.grpcPort);
    try {
      const got = await streamAll(c, [
        grpcRequest('seq_one', 1, { sequence_id: { string_param: 'z' }, sequence_start: { bool_param: true } }, 'z1'),
        grpcRequest('seq_one', 2, { sequence_id: { string_param: 'z' }, sequence_end: { bool_param: true } }, 'z2'),
      ]);
      assert.deepEqual(
        got.map((m) => rowsOf(m['infer_response'])),
        [[[1, 0, 1, 'z', 1]], [[0, 1, 1, 'z', 2]]],
      );
    } finally {
      c.close();
      await js.close();
    }
  });
});

test('statistics count sequence requests as for other schedulers', async () => {
  const r = await fetch(`${s.http}/v2/models/seq_direct/stats`);
  const stats = (await r.json()) as { model_stats: Array<{ inference_stats: { success: { count: number } } }> };
  assert.ok(stats.model_stats[0]!.inference_stats.success.count >= 4);
});

describe('onnxruntime', () => {
  test("Triton's simple_sequence as an ONNX model: control inputs fed to the session, null rows merged into the batch", async () => {
    const shape = ['batch', 1];
    const bytes = new GraphBuilder('onnx_sequence_int32')
      .input({ name: 'INPUT', type: 'int32', shape })
      .input({ name: 'START', type: 'int32', shape })
      .input({ name: 'READY', type: 'int32', shape })
      .output({ name: 'OUTPUT', type: 'int32', shape })
      .node('Add', ['INPUT', 'START'], ['SUM'])
      .node('Mul', ['SUM', 'READY'], ['OUTPUT'])
      .toBytes();
    const controls = `control_input [
      { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
      { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY int32_false_true: [ 0, 1 ] } ] } ]`;
    const io = `input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
      output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]`;
    const onnx = await onnxRepository({
      onnx_sequence: {
        bytes,
        config: `name: "onnx_sequence"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\nsequence_batching { ${controls} }\n${io}`,
      },
      // A control the model does not have fails the load, naming it.
      onnx_sequence_bad: {
        bytes,
        config: `name: "onnx_sequence_bad"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\nsequence_batching { ${controls.replace(
          ' ] } ] }',
          ' ] } ] }, { name: "END" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] }',
        )} }\n${io}`,
      },
    });
    const o = await startServer(['--exit-on-error', 'false'], onnx.path);
    try {
      const infer = async (v: number, params: Record<string, unknown>): Promise<number> => {
        const r = await fetch(`${o.http}/v2/models/onnx_sequence/infer`, {
          method: 'POST',
          body: JSON.stringify({
            inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: [v] }],
            parameters: params,
          }),
        });
        const body = (await r.json()) as { outputs: Array<{ data: number[] }> };
        return body.outputs[0]!.data[0]!;
      };
      assert.equal(await infer(5, { sequence_id: 1, sequence_start: true }), 6);
      assert.equal(await infer(100, { sequence_id: 2, sequence_start: true }), 101, 'slot 1, with a null row 0');
      assert.equal(await infer(7, { sequence_id: 2 }), 7);
      assert.equal(await infer(8, { sequence_id: 1, sequence_end: true }), 8);
      const index = (await (await fetch(`${o.http}/v2/repository/index`, { method: 'POST' })).json()) as Array<
        Record<string, string>
      >;
      assert.match(
        index.find((m) => m['name'] === 'onnx_sequence_bad')!['reason']!,
        /sequence control input 'END' is not an input of model\.onnx/,
      );
    } finally {
      await o.close();
      await onnx.remove();
    }
  });
});

test('tracing: sequence requests have the core trace points; a model without sequence_batching ignores sequence parameters', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tensorgate-seq-trace-'));
  const file = join(dir, 'trace.json');
  const t = await startServer([
    '--model-control-mode',
    'explicit',
    '--load-model',
    'simple_sequence',
    '--load-model',
    'simple',
    '--trace-config',
    `triton,file=${file}`,
    '--trace-config',
    'level=TIMESTAMPS',
    '--trace-config',
    'rate=1',
  ]);
  try {
    for (const params of [
      { sequence_id: 9, sequence_start: true },
      { sequence_id: 9, sequence_end: true },
    ]) {
      const r = await fetch(`${t.http}/v2/models/simple_sequence/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1], data: [1] }],
          parameters: params,
        }),
      });
      assert.equal(r.status, 200);
    }
    // A model without sequence_batching ignores the sequence parameters, as Triton does.
    const plain = await fetch(`${t.http}/v2/models/simple/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: new Array(16).fill(1) },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: new Array(16).fill(1) },
        ],
        parameters: { sequence_id: 5, sequence_end: true },
      }),
    });
    assert.equal(plain.status, 200, await plain.clone().text());
    await t.close();
    const records = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, any>>;
    const seqIds = new Set(records.filter((r) => r['model_name'] === 'simple_sequence').map((r) => r['id']));
    const stamps = records
      .filter((r) => 'timestamps' in r && seqIds.has(r['id']))
      .flatMap((r) => r['timestamps'] as Array<{ name: string }>);
    const points = ['QUEUE_START', 'COMPUTE_START', 'COMPUTE_END', 'REQUEST_END'];
    for (const name of points) assert.equal(stamps.filter((s) => s.name === name).length, 2, name);
  } finally {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
});
