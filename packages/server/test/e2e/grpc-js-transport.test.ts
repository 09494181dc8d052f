/**
 * The grpc-js fallback transport (`--grpc-transport grpc-js`) on the wire: the same RPCs as the
 * native default (ModelInfer, ModelStreamInfer with the decoupled repeat_int32, an error status),
 * so the fallback keeps working while the native transport is the default.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createServer, parseSettings, type RunningServer } from 'tensorgate';
import { grpc, grpcClient, streamAll, unary, unaryError, type Msg } from '../helpers/grpc-client.js';
import { EXAMPLES } from '../helpers/servers.js';
import { range, raw, values } from '../helpers/tensors.js';

let server: RunningServer;
let client: ReturnType<typeof grpcClient>;
const logs: Msg[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Msg);
      done();
    },
  });
  const settings = parseSettings(
    [
      ...['--model-repository', EXAMPLES, '--host', '127.0.0.1', '--grpc-port', '0'],
      ...['--allow-http', 'false', '--allow-metrics', 'false', '--grpc-transport', 'grpc-js'],
    ],
    {},
  );
  server = await createServer(settings, { logger: pino({ level: 'info' }, sink) });
  client = grpcClient(server.ports.grpc!);
});
after(async () => {
  client.close();
  await server.shutdown('test end');
});

describe('gRPC over the grpc-js transport', () => {
  test('the frontend says which transport it runs', () => {
    const listening = logs.find((l) => l['msg'] === 'gRPC frontend listening');
    assert.equal(listening?.['transport'], 'grpc-js');
  });

  test('ModelInfer on simple', async () => {
    const r = await unary(client, 'ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      raw_input_contents: [raw('INT32', range(16)), raw('INT32', Array(16).fill(1))],
    });
    assert.deepEqual(values('INT32', r['raw_output_contents'][0]), range(16, 1));
    assert.deepEqual(values('INT32', r['raw_output_contents'][1]), range(16, -1));
  });

  test('ModelStreamInfer with the decoupled repeat_int32', async () => {
    const got = await streamAll(client, [
      {
        model_name: 'repeat_int32',
        id: 'r1',
        inputs: [
          { name: 'IN', datatype: 'INT32', shape: [3] },
          { name: 'DELAY', datatype: 'UINT32', shape: [3] },
          { name: 'WAIT', datatype: 'UINT32', shape: [1] },
        ],
        raw_input_contents: [raw('INT32', [10, 20, 30]), raw('UINT32', [1, 1, 1]), raw('UINT32', [0])],
      },
    ]);
    const outs = got
      .filter((m) => !m['error_message'] && m['infer_response'].raw_output_contents.length > 0)
      .map((m) => {
        const response = m['infer_response'] as Msg;
        const at = (response['outputs'] as Msg[]).findIndex((o) => o['name'] === 'OUT');
        return values('INT32', response['raw_output_contents'][at])[0];
      });
    assert.deepEqual(outs, [10, 20, 30]);
  });

  test('an unknown model is NOT_FOUND with its name', async () => {
    const e = await unaryError(client, 'ModelConfig', { name: 'nope' });
    assert.equal(e.code, grpc.status.NOT_FOUND);
    assert.match(e.details, /'nope'/);
  });
});
