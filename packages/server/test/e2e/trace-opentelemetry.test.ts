/**
 * `--trace-config mode=opentelemetry` against an OTLP/HTTP receiver the test starts: spans reach
 * it as protobuf, carry the W3C trace context of the request (HTTP `traceparent` header, gRPC
 * `traceparent` metadata) as their trace id and parent, and have Triton's shape: `InferRequest`
 * with the protocol events, a span per model request (attributes `triton.*`; an ensemble's steps
 * under the ensemble's span) and a `compute` span under each model span. With `rate=0` only
 * requests that carry a context are traced, as Triton documents.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { eventually, startServer, type TestServer } from '../helpers/servers.js';
import { range, raw } from '../helpers/tensors.js';

let otlp: OtlpReceiver;
let server: TestServer;

const HTTP_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const HTTP_PARENT = '00f067aa0ba902b7';
const GRPC_TRACE = '0af7651916cd43dd8448eb211c80319c';
const GRPC_PARENT = 'b7ad6b7169203331';

before(async () => {
  otlp = await startOtlpReceiver();
  server = await startServer([
    '--model-control-mode',
    'explicit',
    '--load-model',
    'simple',
    '--load-model',
    'simple_ensemble',
    '--trace-config',
    'mode=opentelemetry',
    '--trace-config',
    'level=TIMESTAMPS',
    '--trace-config',
    'rate=0',
    '--trace-config',
    `opentelemetry,url=${otlp.url}`,
    '--trace-config',
    'opentelemetry,resource=service.name=tensorgate-test',
    '--trace-config',
    'opentelemetry,bsp_schedule_delay=50',
  ]);
});

after(async () => {
  await server.close();
  await otlp.close();
});

const inputs = [
  { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: range(16) },
  { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: range(16) },
];

function treeOf(traceId: string): ReceivedSpan[] {
  return otlp.spans.filter((s) => s.traceId === traceId);
}

describe('OpenTelemetry mode', () => {
  test('the trace settings report the OpenTelemetry settings', async () => {
    const settings = (await (await fetch(`${server.http}/v2/trace/setting`)).json()) as Record<string, unknown>;
    assert.deepEqual(settings, {
      trace_level: ['TIMESTAMPS'],
      trace_rate: '0',
      trace_count: '-1',
      trace_mode: 'opentelemetry',
      url: otlp.url,
      resource: 'service.name=tensorgate-test',
      bsp_max_queue_size: '2048',
      bsp_schedule_delay: '50',
      bsp_max_export_batch_size: '512',
    });
  });

  test('an HTTP request with traceparent: spans under the caller, an ensemble step under the ensemble span', async () => {
    const res = await fetch(`${server.http}/v2/models/simple_ensemble/infer`, {
      method: 'POST',
      headers: { traceparent: `00-${HTTP_TRACE}-${HTTP_PARENT}-01` },
      body: JSON.stringify({ id: 'otel-http', inputs }),
    });
    assert.equal(res.status, 200);
    // 1 InferRequest + ensemble span + 2 steps x (model + compute).
    await eventually(() => treeOf(HTTP_TRACE).length >= 6);
    const spans = treeOf(HTTP_TRACE);
    assert.equal(spans.length, 6);
    const request = spans.find((s) => s.name === 'InferRequest')!;
    assert.equal(request.parentSpanId, HTTP_PARENT, 'the request span is a child of the caller');
    assert.deepEqual(
      request.events.map((e) => e.name),
      ['HTTP_RECV_START', 'HTTP_RECV_END', 'HTTP_SEND_START', 'HTTP_SEND_END'],
    );
    assert.equal(request.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(request.scope, 'triton-server');
    assert.equal(request.resource['service.name'], 'tensorgate-test');
    const ensemble = spans.find((s) => s.name === 'simple_ensemble')!;
    assert.equal(ensemble.parentSpanId, request.spanId);
    assert.equal(ensemble.attributes['triton.model_name'], 'simple_ensemble');
    assert.equal(ensemble.attributes['triton.model_version'], 1);
    assert.equal(ensemble.attributes['triton.request_id'], 'otel-http');
    assert.equal(ensemble.attributes['triton.trace_parent_id'], 0);
    const steps = spans.filter((s) => s.name === 'simple');
    assert.equal(steps.length, 2);
    for (const step of steps) {
      assert.equal(step.parentSpanId, ensemble.spanId, 'a step is a child of the ensemble span');
      assert.equal(step.attributes['triton.trace_parent_id'], ensemble.attributes['triton.trace_id']);
      assert.deepEqual(
        step.events.map((e) => e.name),
        ['REQUEST_START', 'QUEUE_START', 'REQUEST_END'],
      );
      const compute = spans.find((s) => s.name === 'compute' && s.parentSpanId === step.spanId)!;
      assert.deepEqual(
        compute.events.map((e) => e.name),
        ['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END'],
      );
      assert.ok(compute.startNs >= step.startNs && compute.endNs <= step.endNs, 'compute inside its model span');
    }
    assert.ok(request.startNs <= ensemble.startNs && ensemble.endNs <= request.endNs);
  });

  test('a gRPC request with traceparent metadata is traced under the caller; one without is not (rate=0)', async () => {
    const client = grpcClient(server.grpcPort, 'inference.GRPCInferenceService', {
      metadata: { traceparent: `00-${GRPC_TRACE}-${GRPC_PARENT}-01` },
    });
    const request = {
      model_name: 'simple',
      id: 'otel-grpc',
      inputs: inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
    };
    await unary(client, 'ModelInfer', request);
    client.close();
    const plain = grpcClient(server.grpcPort);
    await unary(plain, 'ModelInfer', { ...request, id: 'not-traced' });
    plain.close();
    await eventually(() => treeOf(GRPC_TRACE).length >= 3);
    const spans = treeOf(GRPC_TRACE);
    const root = spans.find((s) => s.name === 'InferRequest')!;
    assert.equal(root.parentSpanId, GRPC_PARENT);
    assert.deepEqual(
      root.events.map((e) => e.name),
      ['GRPC_SEND_START', 'GRPC_SEND_END'],
    );
    const model = spans.find((s) => s.name === 'simple')!;
    assert.equal(model.parentSpanId, root.spanId);
    assert.equal(model.attributes['triton.request_id'], 'otel-grpc');
    assert.ok(spans.some((s) => s.name === 'compute' && s.parentSpanId === model.spanId));
    // Let the exporter run once more: the untraced request must not show up.
    const before = otlp.spans.length;
    await fetch(`${server.http}/v2/models/simple/infer`, {
      method: 'POST',
      headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
      body: JSON.stringify({ id: 'marker', inputs }),
    });
    await eventually(() => otlp.spans.length > before);
    assert.equal(
      otlp.spans.filter((s) => s.attributes['triton.request_id'] === 'not-traced').length,
      0,
      'rate=0: a request without a context is not traced',
    );
    assert.ok(otlp.contentTypes.every((t) => t === 'application/x-protobuf'));
  });
});
