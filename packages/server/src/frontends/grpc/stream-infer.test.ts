/**
 * Wire tests of ModelStreamInfer over a fake core: concurrency, decoupled responses, the
 * triton_final_response / empty-final-response parameters, per-request errors, half-close and
 * cancellation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { decodeElements, encodeElements } from '@tensorgate/protocol';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { connect, grpc, streamAll, type Msg, type TestClient } from './grpc-client.test-helper.js';
import { createGrpcFrontend, type GrpcFrontend } from './grpc-server.js';

let core: FakeCore;
let frontend: GrpcFrontend;
let client: TestClient;

before(async () => {
  core = new FakeCore();
  frontend = createGrpcFrontend(core, { logger: pino({ level: 'silent' }) });
  client = connect(await frontend.listen(0, '127.0.0.1'), 'inference.GRPCInferenceService');
});
after(async () => {
  client.close();
  await frontend.close(1000);
});

const echo = (id: string): Msg => ({
  model_name: 'echo',
  id,
  inputs: [{ name: 'A', datatype: 'INT32', shape: [1] }],
  raw_input_contents: [encodeElements('INT32', [7])],
});
const decoupled = (id: string, params: Msg = {}): Msg => ({
  model_name: 'decoupled',
  id,
  inputs: [],
  parameters: params,
});
const final = (m: Msg): boolean => m['infer_response'].parameters.triton_final_response.bool_param;
const byId = (messages: Msg[], id: string): Msg[] => messages.filter((m) => m['infer_response']?.id === id);

describe('ModelStreamInfer', () => {
  test('several requests, decoupled responses, final flags, status OK after half-close', async () => {
    const { messages, status } = await streamAll(client, [
      echo('e1'),
      decoupled('d1', { count: { int64_param: 3 } }),
      echo('e2'),
    ]);
    assert.equal(status.code, grpc.status.OK);
    assert.equal(messages.length, 5, 'two echoes and three decoupled responses; no empty final unless asked');
    assert.ok(messages.every((m) => m['error_message'] === ''));
    for (const id of ['e1', 'e2']) {
      const [r] = byId(messages, id);
      assert.equal(final(r!), true);
      assert.deepEqual(decodeElements('INT32', r!['infer_response'].raw_output_contents[0]), [7]);
    }
    const d = byId(messages, 'd1');
    assert.deepEqual(
      d.map((m) => decodeElements('INT32', m['infer_response'].raw_output_contents[0])[0]),
      [0, 1, 2],
    );
    assert.deepEqual(d.map(final), [false, false, false]);
    assert.equal(core.contexts.at(-1)!.allowDecoupled, true);
  });

  test('triton_enable_empty_final_response adds an empty final response', async () => {
    const { messages } = await streamAll(client, [
      decoupled('d2', { count: { int64_param: 2 }, triton_enable_empty_final_response: { bool_param: true } }),
    ]);
    assert.equal(messages.length, 3);
    assert.deepEqual(messages.map(final), [false, false, true]);
    const last = messages[2]!['infer_response'];
    assert.equal(last.id, 'd2');
    assert.equal(last.outputs.length, 0);
    assert.equal(last.raw_output_contents.length, 0);
  });

  test('a failing request reports error_message and the stream goes on', async () => {
    const { messages, status } = await streamAll(client, [
      decoupled('bad', { count: { int64_param: 3 }, fail_at: { int64_param: 1 } }),
      { model_name: 'nope', id: 'missing', inputs: [] },
      {
        model_name: 'echo',
        id: 'mixed',
        inputs: [{ name: 'A', datatype: 'INT32', shape: [1], contents: { int_contents: [1] } }],
        raw_input_contents: [Buffer.alloc(4)],
      },
      echo('ok'),
    ]);
    assert.equal(status.code, grpc.status.OK);
    const errors = messages.filter((m) => m['error_message'] !== '');
    assert.equal(errors.length, 3);
    const errorOf = (id: string): string => errors.find((m) => m['infer_response'].id === id)!['error_message'];
    assert.match(errorOf('bad'), /fake failure at response 1/);
    assert.match(errorOf('missing'), /'nope' is not found/);
    assert.match(errorOf('mixed'), /raw_input_contents/);
    assert.ok(errors.every(final), 'an error ends its request');
    assert.equal(
      byId(messages, 'bad').filter((m) => m['error_message'] === '').length,
      1,
      'the response before the failure',
    );
    assert.equal(byId(messages, 'ok').length, 1);
  });

  test('the stream stays open until the client half-closes', async () => {
    const call = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
    const statuses: grpc.StatusObject[] = [];
    call.on('status', (s: grpc.StatusObject) => statuses.push(s));
    call.write(echo('first'));
    const [first] = (await once(call, 'data')) as [Msg];
    assert.equal(first['infer_response'].id, 'first');
    call.write(echo('second'));
    const [second] = (await once(call, 'data')) as [Msg];
    assert.equal(second['infer_response'].id, 'second');
    assert.equal(statuses.length, 0);
    call.end();
    call.resume();
    await once(call, 'status');
    assert.equal(statuses[0]!.code, grpc.status.OK);
  });

  test('a client cancel aborts every in-flight request of the stream', async () => {
    const call = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
    call.on('error', () => undefined);
    const aborted: unknown[] = [];
    let onAborted: (reason: unknown) => void = () => undefined;
    const bothAborted = new Promise<void>((resolve) => {
      onAborted = (reason) => {
        aborted.push(reason);
        if (aborted.length === 2) resolve();
      };
    });
    core.on('aborted', onAborted);
    let started = 0;
    const bothStarted = new Promise<void>((resolve) => {
      const onRequest = (): void => {
        if (++started === 2) {
          core.off('request', onRequest);
          resolve();
        }
      };
      core.on('request', onRequest);
    });
    call.write({ model_name: 'hang', id: 'h1', inputs: [] });
    call.write({ model_name: 'hang', id: 'h2', inputs: [] });
    await bothStarted;
    call.cancel();
    await bothAborted;
    core.off('aborted', onAborted);
    assert.equal(aborted.length, 2);
  });
});
