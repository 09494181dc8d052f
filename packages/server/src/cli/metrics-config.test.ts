import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SUMMARY_QUANTILES, MetricsConfigError, parseMetricsConfig } from './metrics-config.js';

test("Triton's settings: counters, summaries and their quantiles", () => {
  assert.deepEqual(parseMetricsConfig([]), {
    counterLatencies: true,
    histogramLatencies: false,
    summaryLatencies: false,
    summaryQuantiles: DEFAULT_SUMMARY_QUANTILES,
  });
  const c = parseMetricsConfig([
    'summary_latencies=true',
    'counter_latencies=false',
    'summary_quantiles=0.5:0.05,0.9:0.01,0.95:0.001,0.99:0.001',
    'histogram_latencies=true',
  ]);
  assert.equal(c.histogramLatencies, true);
  assert.equal(c.summaryLatencies, true);
  assert.equal(c.counterLatencies, false);
  assert.deepEqual(
    c.summaryQuantiles.map((q) => q.quantile),
    [0.5, 0.9, 0.95, 0.99],
  );
  // As Triton's docs write it, quotes and all.
  assert.deepEqual(parseMetricsConfig(['summary_quantiles="0.5:0.05"']).summaryQuantiles, [
    { quantile: 0.5, error: 0.05 },
  ]);
});

test('what tensorgate cannot honour is refused by name', () => {
  const refuses = (entry: string, message: RegExp): void =>
    assert.throws(
      () => parseMetricsConfig([entry]),
      (e: unknown) => e instanceof MetricsConfigError && message.test(e.message),
    );
  refuses('summary_max_age=10000', /summary_max_age is not supported: Triton has no such setting/);
  refuses('summary_age_buckets=3', /summary_age_buckets is not supported/);
  refuses('gpu_metrics=true', /gpu_metrics is unknown; tensorgate takes counter_latencies/);
  refuses('summary_quantiles=0.5', /<quantile>:<error>/);
  refuses('summary_quantiles=1.5:0.1', /numbers from 0 to 1/);
  refuses('summary_latencies=maybe', /expected true or false/);
  refuses('nosetting', /expected <setting>=<value>/);
});
