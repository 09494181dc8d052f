import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { RequestEvent } from '../../core/observer.js';
import { MetricsObserver } from './metrics-observer.js';

function request(overrides: Partial<RequestEvent> = {}): RequestEvent {
  return {
    model: 'simple',
    version: '1',
    success: true,
    batchSize: 1,
    requestNs: 0,
    queueNs: 0,
    computeInputNs: 0,
    computeInferNs: 0,
    computeOutputNs: 0,
    ...overrides,
  };
}

/** The sample lines (no HELP/TYPE, no blank lines) of the registry's text output. */
async function samples(registry: Registry): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

function setup(): { registry: Registry; observer: MetricsObserver } {
  const registry = new Registry();
  return { registry, observer: new MetricsObserver(registry) };
}

describe('MetricsObserver', () => {
  test('a model has no series before its first event', async () => {
    const { registry } = setup();
    assert.deepEqual(await samples(registry), []);
  });

  test('a ready version has every series at zero; an unloaded one has none', async () => {
    const { registry, observer } = setup();
    observer.onVersionReady('m', '1');
    observer.onVersionReady('m', '2');
    const lines = await samples(registry);
    assert.ok(lines.includes('nv_inference_request_success{model="m",version="1"} 0'));
    assert.ok(lines.includes('nv_inference_request_failure{model="m",version="2",reason="BACKEND"} 0'));
    assert.ok(lines.includes('nv_inference_pending_request_count{model="m",version="1"} 0'));
    observer.onRequest(request({ model: 'm', version: '1' }));
    observer.onVersionUnloaded('m', '1');
    const after = await samples(registry);
    assert.deepEqual(
      after.filter((l) => l.includes('version="1"')),
      [],
    );
    assert.ok(after.includes('nv_inference_request_success{model="m",version="2"} 0'));
  });

  test('Triton counters after one batch-8 request and one execution', async () => {
    const { registry, observer } = setup();
    observer.onRequest(
      request({
        batchSize: 8,
        requestNs: 2_500_999,
        queueNs: 400_000,
        computeInputNs: 100_500,
        computeInferNs: 1_500_000,
        computeOutputNs: 999,
      }),
    );
    observer.onExecution({ model: 'simple', version: '1', batchSize: 8 });
    const lines = await samples(registry);
    for (const expected of [
      'nv_inference_request_success{model="simple",version="1"} 1',
      'nv_inference_count{model="simple",version="1"} 8',
      'nv_inference_exec_count{model="simple",version="1"} 1',
      'nv_inference_request_duration_us{model="simple",version="1"} 2500',
      'nv_inference_queue_duration_us{model="simple",version="1"} 400',
      'nv_inference_compute_input_duration_us{model="simple",version="1"} 100',
      'nv_inference_compute_infer_duration_us{model="simple",version="1"} 1500',
      'nv_inference_compute_output_duration_us{model="simple",version="1"} 0',
      'nv_inference_request_failure{model="simple",version="1",reason="REJECTED"} 0',
      'nv_inference_request_failure{model="simple",version="1",reason="CANCELED"} 0',
      'nv_inference_request_failure{model="simple",version="1",reason="BACKEND"} 0',
      'nv_inference_request_failure{model="simple",version="1",reason="OTHER"} 0',
      'nv_inference_pending_request_count{model="simple",version="1"} 0',
    ]) {
      assert.ok(lines.includes(expected), `missing line: ${expected}\n${lines.join('\n')}`);
    }
  });

  test('dynamic batching: two requests, one execution (Triton doc example)', async () => {
    const { registry, observer } = setup();
    observer.onRequest(request({ batchSize: 1 }));
    observer.onRequest(request({ batchSize: 8 }));
    observer.onExecution({ model: 'simple', version: '1', batchSize: 9 });
    const lines = await samples(registry);
    assert.ok(lines.includes('nv_inference_request_success{model="simple",version="1"} 2'));
    assert.ok(lines.includes('nv_inference_count{model="simple",version="1"} 9'));
    assert.ok(lines.includes('nv_inference_exec_count{model="simple",version="1"} 1'));
  });

  test('failures count by reason and add no durations or inferences', async () => {
    const { registry, observer } = setup();
    observer.onRequest(request({ success: false, reason: 'CANCELED', batchSize: 4, requestNs: 9_000_000 }));
    observer.onRequest(request({ success: false, reason: 'BACKEND' }));
    observer.onRequest(request({ success: false, reason: 'BACKEND' }));
    observer.onRequest(request({ success: false }));
    const lines = await samples(registry);
    for (const expected of [
      'nv_inference_request_failure{model="simple",version="1",reason="REJECTED"} 0',
      'nv_inference_request_failure{model="simple",version="1",reason="CANCELED"} 1',
      'nv_inference_request_failure{model="simple",version="1",reason="BACKEND"} 2',
      'nv_inference_request_failure{model="simple",version="1",reason="OTHER"} 1',
      'nv_inference_request_success{model="simple",version="1"} 0',
      'nv_inference_count{model="simple",version="1"} 0',
      'nv_inference_request_duration_us{model="simple",version="1"} 0',
      'tensorgate_inference_request_duration_seconds_count{model="simple",version="1"} 0',
    ]) {
      assert.ok(lines.includes(expected), `missing line: ${expected}\n${lines.join('\n')}`);
    }
  });

  test('versions and models are separate series', async () => {
    const { registry, observer } = setup();
    observer.onRequest(request({ version: '1' }));
    observer.onRequest(request({ version: '2' }));
    observer.onRequest(request({ version: '2' }));
    observer.onRequest(request({ model: 'other', version: '3' }));
    const lines = await samples(registry);
    assert.ok(lines.includes('nv_inference_request_success{model="simple",version="1"} 1'));
    assert.ok(lines.includes('nv_inference_request_success{model="simple",version="2"} 2'));
    assert.ok(lines.includes('nv_inference_request_success{model="other",version="3"} 1'));
  });

  test('pending gauge follows onPending', async () => {
    const { registry, observer } = setup();
    observer.onPending('simple', '1', 3);
    assert.ok((await samples(registry)).includes('nv_inference_pending_request_count{model="simple",version="1"} 3'));
    observer.onPending('simple', '1', 1);
    assert.ok((await samples(registry)).includes('nv_inference_pending_request_count{model="simple",version="1"} 1'));
  });

  test('latency histograms observe seconds into the right buckets', async () => {
    const { registry, observer } = setup();
    observer.onRequest(request({ requestNs: 3_000_000, queueNs: 200_000, computeInferNs: 2_000_000 }));
    observer.onRequest(request({ requestNs: 700_000_000, queueNs: 0, computeInferNs: 600_000_000 }));
    const lines = await samples(registry);
    for (const expected of [
      'tensorgate_inference_request_duration_seconds_bucket{le="0.0025",model="simple",version="1"} 0',
      'tensorgate_inference_request_duration_seconds_bucket{le="0.005",model="simple",version="1"} 1',
      'tensorgate_inference_request_duration_seconds_bucket{le="0.5",model="simple",version="1"} 1',
      'tensorgate_inference_request_duration_seconds_bucket{le="1",model="simple",version="1"} 2',
      'tensorgate_inference_request_duration_seconds_bucket{le="+Inf",model="simple",version="1"} 2',
      'tensorgate_inference_request_duration_seconds_sum{model="simple",version="1"} 0.703',
      'tensorgate_inference_request_duration_seconds_count{model="simple",version="1"} 2',
      'tensorgate_inference_queue_duration_seconds_bucket{le="0.0005",model="simple",version="1"} 2',
      'tensorgate_inference_compute_infer_duration_seconds_bucket{le="0.0025",model="simple",version="1"} 1',
      'tensorgate_inference_compute_infer_duration_seconds_bucket{le="1",model="simple",version="1"} 2',
    ]) {
      assert.ok(lines.includes(expected), `missing line: ${expected}\n${lines.join('\n')}`);
    }
  });

  test('bad numbers never throw and never decrease counters', async () => {
    const { registry, observer } = setup();
    assert.doesNotThrow(() => {
      observer.onRequest(request({ batchSize: Number.NaN, requestNs: -5, queueNs: Number.POSITIVE_INFINITY }));
      observer.onPending('simple', '1', -1);
    });
    const lines = await samples(registry);
    assert.ok(lines.includes('nv_inference_request_success{model="simple",version="1"} 1'));
    assert.ok(lines.includes('nv_inference_count{model="simple",version="1"} 0'));
    assert.ok(lines.includes('nv_inference_request_duration_us{model="simple",version="1"} 0'));
    assert.ok(lines.includes('nv_inference_pending_request_count{model="simple",version="1"} 0'));
  });

  test('HELP and TYPE lines name Triton families', async () => {
    const { registry, observer } = setup();
    observer.onRequest(request());
    const text = await registry.metrics();
    assert.match(text, /^# TYPE nv_inference_request_success counter$/m);
    assert.match(text, /^# TYPE nv_inference_request_duration_us counter$/m);
    assert.match(text, /^# TYPE nv_inference_pending_request_count gauge$/m);
    assert.match(text, /^# TYPE tensorgate_inference_request_duration_seconds histogram$/m);
    assert.match(text, /^# HELP nv_inference_count .+$/m);
  });
});
