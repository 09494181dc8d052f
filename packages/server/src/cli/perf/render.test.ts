import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from './latency-stats.js';
import type { PerfReport, PerfStep } from './perf-report.js';
import { renderHtml } from './render-html.js';
import { renderCsv, renderJson, renderTable } from './render-text.js';
import { niceTicks } from './svg-chart.js';

function step(level: number, latencies: number[], extra: Partial<PerfStep> = {}): PerfStep {
  return {
    concurrency: level,
    stable: true,
    trials: 3,
    windowsUsed: 3,
    durationMs: 3000,
    requests: { ok: latencies.length, failed: 0, errors: {} },
    throughput: { requestsPerSec: latencies.length / 3, inferencesPerSec: (latencies.length / 3) * 2 },
    latencyUs: summarize(Float64Array.from(latencies)),
    server: {
      inferences: 20,
      executions: 10,
      avgBatchSize: 2,
      requestUs: 400,
      queueUs: 50.4,
      computeInputUs: 10,
      computeInferUs: 300,
      computeOutputUs: 5,
    },
    clientCpuUsPerRequest: 120,
    ...extra,
  };
}

function report(overrides: Partial<PerfReport> = {}): PerfReport {
  return {
    tool: 'tensorgate perf',
    version: '0.1.0',
    startedAt: '2025-01-01T00:00:00.000Z',
    model: 'simple',
    modelVersion: '',
    protocol: 'grpc',
    url: '127.0.0.1:8001',
    mode: 'concurrency',
    streaming: false,
    batchSize: 2,
    inputData: 'random',
    measurementIntervalMs: 1000,
    stabilityPercentage: 10,
    maxTrials: 5,
    steps: [
      step(1, [100, 200, 300]),
      step(2, [400, 500, 600], {
        stable: false,
        requests: { ok: 3, failed: 2, errors: { UNAVAILABLE: 2 }, firstError: 'UNAVAILABLE: gone, "really"' },
      }),
    ],
    ...overrides,
  };
}

describe('CSV', () => {
  test('perf_analyzer-style header and one row per step in run order', () => {
    const lines = renderCsv(report()).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const header = lines[0]!.split(',');
    assert.deepEqual(header.slice(0, 7), [
      'Concurrency',
      'Inferences/Second',
      'Requests/Second',
      'Server Queue',
      'Server Compute Input',
      'Server Compute Infer',
      'Server Compute Output',
    ]);
    const row = Object.fromEntries(header.map((h, i) => [h, lines[1]!.split(',')[i]]));
    assert.equal(row['Concurrency'], '1');
    assert.equal(row['Inferences/Second'], '2.0');
    assert.equal(row['Server Queue'], '50');
    assert.equal(row['Server Avg Batch'], '2.00');
    assert.equal(row['p50 latency'], '200');
    assert.equal(row['p99 latency'], '300');
    assert.equal(row['Stable'], 'yes');
    const row2 = Object.fromEntries(header.map((h, i) => [h, lines[2]!.split(',')[i]]));
    assert.equal(row2['Errors'], '2');
    assert.equal(row2['Stable'], 'no');
  });

  test('request-rate, streaming and --percentile add their columns', () => {
    const r = report({ mode: 'request-rate', streaming: true, percentile: 85, requestDistribution: 'poisson' });
    const header = renderCsv(r).split('\n')[0]!;
    for (const col of ['Request Rate', 'p85 latency', 'Avg first response', 'Avg inter-response', 'Delayed Requests']) {
      assert.ok(header.includes(col), `missing ${col}`);
    }
  });
});

describe('JSON', () => {
  test('is the report, with non-finite numbers as null', () => {
    const r = report();
    const parsed = JSON.parse(renderJson({ ...r, steps: [step(1, [])] })) as {
      steps: { latencyUs: { p50: unknown } }[];
    };
    assert.equal(parsed.steps[0]!.latencyUs.p50, null);
    const full = JSON.parse(renderJson(r)) as PerfReport;
    assert.equal(full.steps.length, 2);
    assert.equal(full.steps[1]!.requests.errors['UNAVAILABLE'], 2);
  });
});

describe('table', () => {
  test('header, aligned rows, errors and unstable levels listed', () => {
    const text = renderTable(report());
    assert.match(text, /Model simple over grpc at 127\.0\.0\.1:8001/);
    const lines = text.split('\n');
    const head = lines.find((l) => /Concurrency\s+infer\/s/.test(l));
    assert.ok(head, text);
    const dashes = lines[lines.indexOf(head) + 1]!;
    assert.equal(dashes.length, head.length);
    assert.match(text, /Concurrency 2: 2 failed \(UNAVAILABLE ×2\)/);
    assert.match(text, /Not stable within 5 trials at concurrency 2/);
    assert.match(head, /\bbatch\b/);
    assert.doesNotMatch(head, /tok\/s/);
  });

  test('LLM steps add output tokens per second and per request', () => {
    const tokens = { outputTokens: 90, outputTokensPerSec: 30, perRequest: 30 };
    const r = report({ steps: [step(1, [100, 200, 300], { tokens })] });
    const csv = renderCsv(r).trimEnd().split('\n');
    const header = csv[0]!.split(',');
    const row = Object.fromEntries(header.map((h, i) => [h, csv[1]!.split(',')[i]]));
    assert.equal(row['Output Tokens/Second'], '30.0');
    assert.equal(row['Output Tokens/Request'], '30.0');
    assert.match(renderTable(r), /tok\/s\s+tok\/req/);
    assert.match(renderHtml(r), /<th>Output Tokens\/Second<\/th>/);
  });
});

describe('HTML', () => {
  test('self-contained: two inline SVG charts, the table, nothing external, text escaped', () => {
    const html = renderHtml(report({ model: 'a<b>&"c"' }));
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.match(html, /Latency vs throughput/);
    assert.match(html, /Throughput vs concurrency/);
    assert.equal((html.match(/<polyline /g) ?? []).length, 3); // p50, p99, throughput
    assert.match(html, /<th>p99 latency<\/th>/);
    assert.doesNotMatch(html, /<script|<link|src=|@import|url\(/i);
    assert.deepEqual(html.match(/https?:\/\/[^"'\s]+/g), ['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
    assert.ok(!html.includes('a<b>'));
    assert.ok(html.includes('a&#60;b&#62;&#38;&#34;c&#34;'));
    assert.match(html, /UNAVAILABLE ×2/);
    // Latency points are labelled with their load level: c1, c2 for p50 and again for p99.
    assert.deepEqual(
      [...html.matchAll(/class="point-label">([^<]*)</g)].map((m) => m[1]),
      ['c1', 'c2', 'c1', 'c2'],
    );
    assert.match(html, /<th>Server Avg Batch<\/th>/);
  });

  test('nice ticks cover the data from 0', () => {
    assert.deepEqual(niceTicks(0, 97, 5), [0, 20, 40, 60, 80, 100]);
    assert.deepEqual(niceTicks(0, 0.3, 3), [0, 0.1, 0.2, 0.3]);
    const t = niceTicks(0, 12345);
    assert.ok(t[t.length - 1]! >= 12345);
  });
});
