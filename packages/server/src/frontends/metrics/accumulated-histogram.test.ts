import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { AccumulatedHistogram } from './accumulated-histogram.js';

const SPEC = { name: 'latency_seconds', help: 'Latency', kind: 'histogram', labels: ['model', 'version'] } as const;
const BUCKETS = [0.001, 0.01, 0.1];

describe('AccumulatedHistogram', () => {
  test('prints cumulative buckets, +Inf, sum and count like prom-client', async () => {
    const registry = new Registry();
    const histogram = new AccumulatedHistogram(registry, SPEC, BUCKETS);
    const a = histogram.add({ model: 'm', version: '1' });
    const b = histogram.add({ model: 'n', version: '2' });
    for (const value of [0.001, 0.005, 0.05, 2]) histogram.observe(a, value);
    histogram.observe(b, 0);
    assert.equal(
      await registry.metrics(),
      [
        '# HELP latency_seconds Latency',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{le="0.001",model="m",version="1"} 1',
        'latency_seconds_bucket{le="0.01",model="m",version="1"} 2',
        'latency_seconds_bucket{le="0.1",model="m",version="1"} 3',
        'latency_seconds_bucket{le="+Inf",model="m",version="1"} 4',
        'latency_seconds_sum{model="m",version="1"} 2.056',
        'latency_seconds_count{model="m",version="1"} 4',
        'latency_seconds_bucket{le="0.001",model="n",version="2"} 1',
        'latency_seconds_bucket{le="0.01",model="n",version="2"} 1',
        'latency_seconds_bucket{le="0.1",model="n",version="2"} 1',
        'latency_seconds_bucket{le="+Inf",model="n",version="2"} 1',
        'latency_seconds_sum{model="n",version="2"} 0',
        'latency_seconds_count{model="n",version="2"} 1',
        '',
      ].join('\n'),
    );
  });

  test('text and JSON equal a prom-client Histogram fed the same values', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new AccumulatedHistogram(ours, SPEC, BUCKETS);
    const reference = new Histogram({
      name: SPEC.name,
      help: SPEC.help,
      labelNames: SPEC.labels,
      buckets: BUCKETS,
      registers: [theirs],
    });
    const values = [0, 0.0005, 0.001, 0.0011, 0.01, 0.09999, 0.1, 0.3, 1e6, 0.1 + 0.2];
    for (const [i, labels] of [
      { model: 'a', version: '1' },
      { model: 'b"\\\n', version: '7' },
    ].entries()) {
      const series = histogram.add(labels);
      reference.zero(labels);
      for (const value of values.slice(i)) {
        histogram.observe(series, value);
        reference.observe(labels, value);
      }
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  });

  test('removed series are not exported; a new one goes last', async () => {
    const registry = new Registry();
    const histogram = new AccumulatedHistogram(registry, SPEC, BUCKETS);
    const a = histogram.add({ model: 'a', version: '1' });
    histogram.add({ model: 'b', version: '1' });
    histogram.remove(a);
    histogram.add({ model: 'a', version: '1' });
    const models = (await registry.metrics()).match(/_count\{model="(\w)"/g);
    assert.deepEqual(models, ['_count{model="b"', '_count{model="a"']);
  });

  test('non-finite values are ignored; reset zeroes every series', async () => {
    const registry = new Registry();
    const histogram = new AccumulatedHistogram(registry, SPEC, BUCKETS);
    const a = histogram.add({ model: 'a', version: '1' });
    histogram.observe(a, Number.NaN);
    histogram.observe(a, Number.POSITIVE_INFINITY);
    assert.equal(a.count, 0);
    histogram.observe(a, 0.5);
    assert.equal(a.count, 1);
    registry.resetMetrics();
    assert.deepEqual([a.count, a.sum, [...a.counts]], [0, 0, [0, 0, 0]]);
    assert.match(await registry.metrics(), /^latency_seconds_count\{model="a",version="1"\} 0$/m);
  });

  test('registers under its name with prom-client histogram metadata', () => {
    const registry = new Registry();
    const histogram = new AccumulatedHistogram(registry, SPEC, BUCKETS);
    assert.equal(registry.getSingleMetric('latency_seconds'), histogram);
    assert.deepEqual([histogram.type, histogram.aggregator], ['histogram', 'sum']);
    assert.throws(() => new AccumulatedHistogram(registry, SPEC, BUCKETS), /already been registered/);
  });
});
