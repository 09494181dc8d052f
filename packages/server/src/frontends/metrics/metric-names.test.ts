import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { FAILURE_REASONS, METRICS } from './metric-names.js';
import { MetricsObserver } from './metrics-observer.js';
import { registerHostMetrics } from './host-metrics.js';
import { registerCacheMetrics } from './cache-metrics.js';
import { registerJobMetrics } from './job-metrics.js';
import { ResponseCache } from '../../core/cache/response-cache.js';
import { LocalCacheStore } from '../../core/cache/cache-store.js';
import { systemClock } from '../../core/clock.js';
import { registerServiceMetrics } from './service-metrics.js';
import { MethodStats } from '../grpc/services/service-stats.js';

// packages/server/{src,dist}/frontends/metrics are both five levels below the repo root.
const docs = readFileSync(new URL('../../../../../docs/metrics.md', import.meta.url), 'utf8');

test('docs/metrics.md lists every metric family with its labels', () => {
  for (const spec of Object.values(METRICS)) {
    const row = docs.split('\n').find((line) => line.startsWith(`| \`${spec.name}\``));
    assert.ok(row, `docs/metrics.md has no table row for ${spec.name}`);
    assert.ok(row.includes(`| ${spec.kind} |`), `docs/metrics.md gives ${spec.name} a wrong type`);
    for (const label of spec.labels) {
      if (label === 'model' || label === 'version') continue; // stated once per section
      assert.ok(row.includes(`\`${label}\``), `docs/metrics.md row of ${spec.name} lacks label ${label}`);
    }
  }
  for (const reason of FAILURE_REASONS) assert.ok(docs.includes(`\`${reason}\``), `reason ${reason} undocumented`);
});

test('the table matches what the registry really exports', async () => {
  const registry = new Registry();
  new MetricsObserver(registry).onPending('m', '1', 0);
  registerHostMetrics(registry);
  registerCacheMetrics(registry, new ResponseCache(new LocalCacheStore(1024), systemClock));
  registerJobMetrics(registry, { observe: () => undefined, counts: async () => ({ queued: 0, running: 0 }) });
  registerServiceMetrics(registry, new Map([['/p.S/M', new MethodStats('p.S', 'M')]]));
  const exported = await registry.getMetricsAsJSON();
  const byName = new Map(exported.map((m) => [m.name, m]));
  assert.equal(exported.length, Object.keys(METRICS).length);
  for (const spec of Object.values(METRICS)) {
    const metric = byName.get(spec.name);
    assert.ok(metric, `${spec.name} not registered`);
    assert.equal(metric.type, spec.kind);
    assert.equal(metric.help, spec.help);
  }
});

test('metric names are valid Prometheus names and unique', () => {
  const names = Object.values(METRICS).map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
});
