/**
 * A decoupled model's error response that is not its last reaches a gRPC stream as `error_message`,
 * and the request's later responses still arrive (as in Triton).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcClient, streamAll } from '../helpers/grpc-client.js';
import { raw, values } from '../helpers/tensors.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let dir: string;
let s: TestServer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-decoupled-'));
  await mkdir(join(dir, 'flaky_stream', '1'), { recursive: true });
  await writeFile(
    join(dir, 'flaky_stream', 'config.pbtxt'),
    `name: "flaky_stream"
backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
`,
  );
  await writeFile(
    join(dir, 'flaky_stream', '1', 'model.js'),
    `export default class {
  execute(requests) {
    for (const r of requests) {
      const sender = r.getResponseSender();
      const n = r.input('IN').data[0];
      sender.send({ outputs: [{ name: 'OUT', data: [n] }] });
      sender.send({ error: 'step two failed' });
      sender.send({ outputs: [{ name: 'OUT', data: [n + 1] }] }, { final: true });
    }
  }
}
`,
  );
  s = await startServer([], dir);
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

test('response, non-final error, response (final): all three reach the stream in order', async () => {
  const client = grpcClient(s.grpcPort);
  try {
    const got = await streamAll(client, [
      {
        model_name: 'flaky_stream',
        id: 'f1',
        inputs: [{ name: 'IN', datatype: 'INT32', shape: [1] }],
        raw_input_contents: [raw('INT32', [41])],
      },
    ]);
    assert.equal(got.length, 3);
    assert.deepEqual(values('INT32', got[0]!['infer_response'].raw_output_contents[0]), [41]);
    assert.match(got[1]!['error_message'], /step two failed/);
    assert.equal(got[1]!['infer_response'].id, 'f1');
    assert.equal(got[1]!['infer_response'].parameters.triton_final_response.bool_param, false);
    assert.equal(got[2]!['error_message'], '');
    assert.deepEqual(values('INT32', got[2]!['infer_response'].raw_output_contents[0]), [42]);
    assert.equal(got[2]!['infer_response'].parameters.triton_final_response.bool_param, true);
  } finally {
    client.close();
  }
});
