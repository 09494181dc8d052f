import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import type { RequestEvent } from '../../core/observer.js';
import { FAILURE_REASONS, METRICS } from './metric-names.js';
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

  test('exact text of counters, gauge and histogram per family, before and after an unload', async () => {
    const { registry, observer } = setup();
    observer.onVersionReady('m', '1');
    observer.onVersionReady('n', '1');
    observer.onRequest(request({ model: 'm', batchSize: 2, requestNs: 3_000_999, queueNs: 1_000_000 }));
    observer.onRequest(request({ model: 'm', requestNs: 20_000_000, queueNs: 0, computeInferNs: 7e10 }));
    observer.onRequest(request({ model: 'n', success: false, reason: 'BACKEND', requestNs: 1e9 }));
    observer.onExecution({ model: 'm', version: '1', batchSize: 3 });
    observer.onPending('m', '1', 2);
    const family = (name: string): Promise<string> => registry.getSingleMetricAsString(name);
    const buckets = (name: string, model: string, counts: number[], sum: number): string[] => [
      ...counts.map(
        (n, i) =>
          `${name}_bucket{le="${[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60][i]}",model="${model}",version="1"} ${n}`,
      ),
      `${name}_bucket{le="+Inf",model="${model}",version="1"} ${counts.at(-1) ?? 0}`,
      `${name}_sum{model="${model}",version="1"} ${sum}`,
      `${name}_count{model="${model}",version="1"} ${counts.at(-1) ?? 0}`,
    ];
    const help = (name: string, type: string): string[] => {
      const spec = Object.values(METRICS).find((m) => m.name === name);
      return [`# HELP ${name} ${spec?.help ?? ''}`, `# TYPE ${name} ${type}`];
    };
    assert.equal(
      await family('nv_inference_request_success'),
      [
        ...help('nv_inference_request_success', 'counter'),
        'nv_inference_request_success{model="m",version="1"} 2',
        'nv_inference_request_success{model="n",version="1"} 0',
      ].join('\n'),
    );
    assert.equal(
      await family('nv_inference_request_failure'),
      [
        ...help('nv_inference_request_failure', 'counter'),
        ...['m', 'n'].flatMap((model) =>
          FAILURE_REASONS.map(
            (reason) =>
              `nv_inference_request_failure{model="${model}",version="1",reason="${reason}"} ${model === 'n' && reason === 'BACKEND' ? 1 : 0}`,
          ),
        ),
      ].join('\n'),
    );
    assert.equal(
      await family('nv_inference_request_duration_us'),
      [
        ...help('nv_inference_request_duration_us', 'counter'),
        'nv_inference_request_duration_us{model="m",version="1"} 23000',
        'nv_inference_request_duration_us{model="n",version="1"} 0',
      ].join('\n'),
    );
    assert.equal(
      await family('nv_inference_pending_request_count'),
      [
        ...help('nv_inference_pending_request_count', 'gauge'),
        'nv_inference_pending_request_count{model="m",version="1"} 2',
        'nv_inference_pending_request_count{model="n",version="1"} 0',
      ].join('\n'),
    );
    const requestSeconds = 'tensorgate_inference_request_duration_seconds';
    assert.equal(
      await family(requestSeconds),
      [
        ...help(requestSeconds, 'histogram'),
        ...buckets(requestSeconds, 'm', [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 0.023000999),
        ...buckets(requestSeconds, 'n', Array<number>(16).fill(0), 0),
      ].join('\n'),
    );
    const inferSeconds = 'tensorgate_inference_compute_infer_duration_seconds';
    assert.match(
      await family(inferSeconds),
      /_bucket\{le="60",model="m",version="1"\} 1\n.*le="\+Inf",model="m",version="1"\} 2\n.*_sum\{model="m",version="1"\} 70\n/,
    );

    observer.onVersionUnloaded('m', '1');
    assert.equal(
      await family('nv_inference_exec_count'),
      [...help('nv_inference_exec_count', 'counter'), 'nv_inference_exec_count{model="n",version="1"} 0'].join('\n'),
    );
    assert.equal(
      await family(requestSeconds),
      [...help(requestSeconds, 'histogram'), ...buckets(requestSeconds, 'n', Array<number>(16).fill(0), 0)].join('\n'),
    );
    assert.doesNotMatch(await registry.metrics(), /model="m"/);
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
