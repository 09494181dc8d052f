/**
 * Prometheus metrics of a real server after real requests over HTTP and gRPC.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcClient, unary, unaryError } from '../helpers/grpc-client.js';
import { range, raw } from '../helpers/tensors.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.close();
});

/** The value of one sample line, e.g. `nv_inference_count{model="simple",version="1"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.indexOf('}'));
    const got = Object.fromEntries(
      body
        .split(',')
        .map((kv) => kv.split('='))
        .map(([k, v]) => [k, v!.replace(/"/g, '')]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('request, inference and execution counters, failures by reason, durations and histograms', async () => {
  const client = grpcClient(s.grpcPort);
  try {
    const a = raw('INT32', range(32));
    // two successful requests of batch 2 over gRPC, one over HTTP of batch 1
    for (let i = 0; i < 2; i++) {
      await unary(client, 'ModelInfer', {
        model_name: 'simple',
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [2, 16] },
          { name: 'INPUT1', datatype: 'INT32', shape: [2, 16] },
        ],
        raw_input_contents: [a, a],
      });
    }
    const r = await fetch(`${s.http}/v2/models/simple/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
        ],
      }),
    });
    assert.equal(r.status, 200);
    // one request that fails validation
    await unaryError(client, 'ModelInfer', {
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 15] },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
      ],
      raw_input_contents: [raw('INT32', range(15)), raw('INT32', range(16))],
    });
  } finally {
    client.close();
  }
  const text = await (await fetch(s.metrics)).text();
  const m = { model: 'simple', version: '1' };
  assert.equal(sample(text, 'nv_inference_request_success', m), 3);
  assert.equal(sample(text, 'nv_inference_count', m), 5);
  assert.equal(sample(text, 'nv_inference_exec_count', m), 3);
  assert.equal(sample(text, 'nv_inference_request_failure', { ...m, reason: 'OTHER' }), 1);
  assert.equal(sample(text, 'nv_inference_pending_request_count', m), 0);
  assert.ok((sample(text, 'nv_inference_request_duration_us', m) ?? 0) > 0);
  assert.ok((sample(text, 'nv_inference_compute_infer_duration_us', m) ?? 0) > 0);
  assert.equal(sample(text, 'tensorgate_inference_request_duration_seconds_count', m), 3);
  assert.match(text, /process_cpu_seconds_total/);
});
