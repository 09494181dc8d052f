/**
 * Business Logic Scripting over the real wire: a JS model (`bls_probe`, see helpers/bls-models.ts)
 * called over HTTP and gRPC calls other models from inside `execute` and reports what came back.
 * Unary calls to JS and ONNX models, inputs passed through or built, requested outputs, versions,
 * parameters and ids, decoupled callees iterated, errors as values, and the `bls_simple` example.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blsRepository } from '../helpers/bls-models.js';
import { A, B, only, probe, type Plan, type Protocol } from '../helpers/bls-probe.js';
import { grpc, grpcClient, streamAll, unary } from '../helpers/grpc-client.js';
import { EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';
import { raw, values } from '../helpers/tensors.js';

let repo: { path: string; remove(): Promise<void> };
let s: TestServer;
let client: ReturnType<typeof grpcClient>;
before(async () => {
  repo = await blsRepository();
  s = await startServer([], repo.path);
  client = grpcClient(s.grpcPort);
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
});

const run = (protocol: Protocol, plan: Plan, id?: string) => probe(s, client, protocol, plan, id ? { id } : {});

for (const protocol of ['http', 'grpc'] as const) {
  describe(`BLS from a JS model (client over ${protocol})`, () => {
    test('a JS model: the request inputs passed through, one output requested', async () => {
      const r = only(
        await run(protocol, {
          call: { model: 'simple', outputs: ['OUTPUT1'] },
          inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }],
        }),
      );
      assert.equal(r.error, null);
      assert.equal(r.model, 'simple');
      assert.equal(r.version, '1');
      assert.equal(r.final, true);
      assert.deepEqual(Object.keys(r.outputs), ['OUTPUT1'], 'only the requested output');
      assert.deepEqual(r.outputs['OUTPUT1'], { datatype: 'INT32', shape: [1, 16], data: A.map((a, i) => a - B[i]!) });
    });

    test('an input renamed, all outputs by default, and the unbound caller (args.models)', async () => {
      const r = only(
        await run(protocol, {
          unbound: true,
          call: { model: 'simple' },
          inputs: [
            { from: 'INPUT1', as: 'INPUT0' },
            { from: 'INPUT0', as: 'INPUT1' },
          ],
        }),
      );
      assert.deepEqual(Object.keys(r.outputs).sort(), ['OUTPUT0', 'OUTPUT1']);
      assert.deepEqual(
        r.outputs['OUTPUT1']!.data,
        B.map((b, i) => b - A[i]!),
      );
    });

    test('an ONNX model with tensors built by the caller', async () => {
      const r = only(
        await run(protocol, {
          call: { model: 'add_sub' },
          inputs: [
            { name: 'A', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] },
            { name: 'B', datatype: 'FP32', shape: [2, 4], data: [0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1] },
          ],
        }),
      );
      assert.equal(r.error, null);
      assert.deepEqual(r.outputs['SUM'], { datatype: 'FP32', shape: [2, 4], data: [1.5, 2.5, 3.5, 4.5, 6, 7, 8, 9] });
      assert.deepEqual(r.outputs['DIFF']!.data, [0.5, 1.5, 2.5, 3.5, 4, 5, 6, 7]);
    });

    test('a specific version, the latest by default, and a version that is not served', async () => {
      const x = [{ name: 'X', datatype: 'INT32', shape: [1], data: [0] }];
      const v1 = only(await run(protocol, { call: { model: 'versioned', version: 1 }, inputs: x }));
      const v2 = only(await run(protocol, { call: { model: 'versioned', version: '2' }, inputs: x }));
      const latest = only(await run(protocol, { call: { model: 'versioned' }, inputs: x }));
      assert.deepEqual([v1.version, v1.outputs['V']!.data], ['1', [1]]);
      assert.deepEqual([v2.version, v2.outputs['V']!.data], ['2', [2]]);
      assert.deepEqual([latest.version, latest.outputs['V']!.data], ['2', [2]]);
      const v3 = only(await run(protocol, { call: { model: 'versioned', version: 3 }, inputs: x }));
      assert.ok(v3.error);
      assert.match(v3.error.message, /versioned/);
      assert.match(v3.error.message, /3/);
    });

    test('parameters and the request id reach the callee; its response parameters come back', async () => {
      const r = only(
        await run(protocol, {
          call: { model: 'echo_params', id: 'bls-7', parameters: { a: 'x', n: 3, flag: true } },
          inputs: [{ name: 'X', datatype: 'INT32', shape: [1], data: [1] }],
        }),
      );
      assert.equal(r.error, null);
      assert.equal(r.id, 'bls-7');
      assert.deepEqual(JSON.parse(r.outputs['P']!.data[0] as string), { a: 'x', n: 3, flag: true });
      assert.deepEqual(r.outputs['ID']!.data, ['bls-7']);
      assert.deepEqual(r.parameters, { echoed: true, count: 3 });
    });

    test('a decoupled model iterated with stream(): every response, a non-final error among them', async () => {
      const x = [{ name: 'X', datatype: 'INT32', shape: [1], data: [3] }];
      const all = await run(protocol, { mode: 'stream', call: { model: 'countdown' }, inputs: x });
      assert.ok(all.ok);
      assert.deepEqual(
        all.responses.map((r) => [r.final, r.outputs['OUT']?.data]),
        [
          [false, [3]],
          [false, [2]],
          [false, [1]],
        ],
      );
      const flaky = await run(protocol, {
        mode: 'stream',
        call: { model: 'countdown', parameters: { fail_at: 2 } },
        inputs: x,
      });
      assert.ok(flaky.ok);
      assert.deepEqual(
        flaky.responses.map((r) => (r.error ? `${r.error.code}: ${r.error.message}` : r.outputs['OUT']!.data[0])),
        [3, 'INTERNAL: step 2 failed', 1],
      );
    });

    test('stream() on a model that is not decoupled yields its one response; infer() on a decoupled one is refused', async () => {
      const one = await run(protocol, {
        mode: 'stream',
        call: { model: 'simple', outputs: ['OUTPUT0'] },
        inputs: [{ from: 'INPUT0' }, { from: 'INPUT1' }],
      });
      assert.ok(one.ok);
      assert.equal(one.responses.length, 1);
      assert.equal(one.responses[0]!.final, true);
      assert.deepEqual(
        one.responses[0]!.outputs['OUTPUT0']!.data,
        A.map((a, i) => a + B[i]!),
      );
      const refused = only(
        await run(protocol, {
          call: { model: 'countdown' },
          inputs: [{ name: 'X', datatype: 'INT32', shape: [1], data: [2] }],
        }),
      );
      assert.equal(refused.error?.code, 'UNSUPPORTED');
      assert.match(refused.error!.message, /model 'countdown' is decoupled/);
    });

    test('errors come back as values: an unknown model, a bad input, a missing input', async () => {
      const unknown = only(await run(protocol, { call: { model: 'no_such_model' }, inputs: [] }));
      assert.equal(unknown.error?.code, 'NOT_FOUND');
      assert.match(unknown.error!.message, /no_such_model/);
      assert.equal(unknown.error!.name, 'InferenceError');
      assert.deepEqual(unknown.outputs, {});
      const badShape = only(
        await run(protocol, {
          call: { model: 'simple' },
          inputs: [
            { name: 'INPUT0', datatype: 'INT32', shape: [1, 8], data: [1, 2, 3, 4, 5, 6, 7, 8] },
            { from: 'INPUT1' },
          ],
        }),
      );
      assert.equal(badShape.error?.code, 'INVALID_ARG');
      assert.match(badShape.error!.message, /INPUT0/);
      const missing = only(await run(protocol, { call: { model: 'simple' }, inputs: [{ from: 'INPUT0' }] }));
      assert.equal(missing.error?.code, 'INVALID_ARG');
      assert.match(missing.error!.message, /INPUT1/);
    });

    test("returning a call's error fails the request with the callee's code and message", async () => {
      const out = await run(protocol, {
        mode: 'return-error',
        call: { model: 'simple' },
        inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: [1, 2] }, { from: 'INPUT1' }],
      });
      assert.equal(out.ok, false);
      assert.ok(!out.ok);
      assert.equal(out.status, protocol === 'http' ? 400 : grpc.status.INVALID_ARGUMENT);
      assert.match(out.message, /INPUT0/);
    });
  });
}

describe('a decoupled model that streams what it gets from a decoupled callee', () => {
  test('over gRPC ModelStreamInfer: every response relayed, a non-final error included', async () => {
    const request = (id: string, parameters: Record<string, unknown> = {}) => ({
      model_name: 'bls_relay',
      id,
      inputs: [{ name: 'X', datatype: 'INT32', shape: [1] }],
      raw_input_contents: [raw('INT32', [3])],
      parameters,
    });
    const got = await streamAll(client, [request('r1'), request('r2', { fail_at: { int64_param: 2 } })]);
    const seen = got.map((m) =>
      m['error_message']
        ? `${m['infer_response'].id} error: ${m['error_message']}`
        : `${m['infer_response'].id} ${values('INT32', m['infer_response'].raw_output_contents[0])[0]}`,
    );
    assert.deepEqual(seen, ['r1 30', 'r1 20', 'r1 10', 'r2 30', 'r2 error: step 2 failed', 'r2 10']);
  });
});

describe('the bls_simple example', () => {
  const expected = A.map((a, i) => a * a - B[i]! * B[i]!);

  test('the README shows its model file as it is', () => {
    const file = readFileSync(join(EXAMPLES, 'bls_simple', '1', 'model.js'), 'utf8');
    const code = file.slice(file.indexOf('export default class'));
    const readme = readFileSync(join(EXAMPLES, '..', '..', 'README.md'), 'utf8');
    assert.ok(readme.includes('```js\n' + code + '```'), 'README.md has the model code of bls_simple');
  });

  test('over HTTP', async () => {
    const r = await fetch(`${s.http}/v2/models/bls_simple/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: A },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: B },
        ],
      }),
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { outputs: Array<{ name: string; data: number[] }> };
    assert.deepEqual(body.outputs[0], { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: expected });
  });

  test('over gRPC, a batch of two', async () => {
    const res = await unary(client, 'ModelInfer', {
      model_name: 'bls_simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [2, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [2, 16] },
      ],
      raw_input_contents: [raw('INT32', [...A, ...B]), raw('INT32', [...B, ...A])],
    });
    assert.deepEqual(res['outputs'][0].shape, [2, 16]);
    assert.deepEqual(values('INT32', res['raw_output_contents'][0]), [...expected, ...expected.map((v) => 0 - v)]);
  });
});
