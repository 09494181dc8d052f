/**
 * `tensorgate perf` against a real server on port 0: short fixed settings (two levels, small
 * windows, --max-trials 2), checking the report's structure and that requests succeeded. Timing
 * values are never asserted; only counts and shapes that follow from the settings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO, runClientCommand, type PerfReport } from 'tensorgate';
import { startServer, type TestServer } from '../helpers/servers.js';

const work = mkdtempSync(join(tmpdir(), 'tg-perf-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function perf(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO(work);
  const code = await runClientCommand(['perf', '-q', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

/** Short windows; two trials can never satisfy the three-window rule, so every step is "not stable". */
const SHORT = ['-p', '150', '-r', '2'];

function checkStep(report: PerfReport, index: number): void {
  const step = report.steps[index]!;
  assert.equal(step.trials, 2);
  assert.equal(step.windowsUsed, 2);
  assert.equal(step.stable, false);
  assert.ok(step.requests.ok > 0, 'requests succeeded');
  assert.equal(step.requests.failed, 0, step.requests.firstError);
  assert.deepEqual(step.requests.errors, {});
  assert.equal(step.latencyUs.count, step.requests.ok);
  assert.ok(step.latencyUs.p50 <= step.latencyUs.p99 && step.latencyUs.p99 <= step.latencyUs.max);
  assert.ok(step.throughput.inferencesPerSec > 0);
  assert.ok(step.server, 'server breakdown present');
  assert.ok(step.server.inferences > 0 && step.server.executions > 0);
}

describe('tensorgate perf on the example models', () => {
  let server: TestServer;
  let urls: { http: string[]; grpc: string[] };
  before(async () => {
    server = await startServer();
    urls = { http: ['-i', 'http', '-u', server.http], grpc: ['-i', 'grpc', '-u', `127.0.0.1:${server.grpcPort}`] };
  });
  after(() => server.close());

  for (const protocol of ['http', 'grpc'] as const) {
    test(`simple over ${protocol}: two concurrency levels, JSON report`, async () => {
      const r = await perf([
        '-m',
        'simple',
        ...urls[protocol],
        '--concurrency-range',
        '1:2',
        ...SHORT,
        '--format',
        'json',
      ]);
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out) as PerfReport;
      assert.equal(report.tool, 'tensorgate perf');
      assert.equal(report.model, 'simple');
      assert.equal(report.protocol, protocol);
      assert.equal(report.mode, 'concurrency');
      assert.equal(report.streaming, false);
      assert.deepEqual(
        report.steps.map((s) => s.concurrency),
        [1, 2],
      );
      checkStep(report, 0);
      checkStep(report, 1);
      assert.equal(report.steps[0]!.streaming, undefined);
      assert.equal(report.steps[0]!.schedule, undefined);
    });
  }

  test('batch size, percentile, CSV file and HTML file', async () => {
    const r = await perf([
      '-m',
      'simple',
      ...urls.grpc,
      '-b',
      '4',
      '--percentile',
      '95',
      '--input-data',
      'zero',
      ...SHORT,
      '-f',
      'out.csv',
      '--html',
      'out.html',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /batch size 4; input data zero/);
    const csv = readFileSync(join(work, 'out.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(csv.length, 2);
    assert.match(csv[0]!, /^Concurrency,Inferences\/Second,.*p95 latency,/);
    const cells = csv[1]!.split(',');
    // Four inferences per request (both columns are rounded to 0.1).
    assert.ok(Math.abs(Number(cells[1]) - Number(cells[2]) * 4) <= 0.5, csv[1]);
    const html = readFileSync(join(work, 'out.html'), 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.doesNotMatch(html, /<script/);
  });

  test('request-rate mode (Poisson) reports its schedule', async () => {
    const r = await perf([
      '-m',
      'simple',
      ...urls.grpc,
      '--request-rate-range',
      '40:80:40',
      '--request-distribution',
      'poisson',
      ...SHORT,
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as PerfReport;
    assert.equal(report.mode, 'request-rate');
    assert.equal(report.requestDistribution, 'poisson');
    assert.deepEqual(
      report.steps.map((s) => s.requestRate),
      [40, 80],
    );
    for (const step of report.steps) {
      assert.ok(step.schedule && step.schedule.sent > 0);
      assert.equal(step.schedule.notSent, 0);
      assert.equal(step.requests.failed, 0);
    }
  });

  test('repeat_int32 with --streaming: responses per request, first-response and gap samples', async () => {
    const r = await perf([
      '-m',
      'repeat_int32',
      ...urls.grpc,
      '--streaming',
      '--shape',
      'IN:4',
      '--shape',
      'DELAY:4',
      '--input-data',
      'zero',
      '--concurrency-range',
      '1:2',
      ...SHORT,
      '--format',
      'json',
    ]);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as PerfReport;
    assert.equal(report.streaming, true);
    for (const [i, step] of report.steps.entries()) {
      checkStep(report, i);
      const s = step.streaming!;
      assert.equal(s.responsesPerRequest, 4);
      assert.equal(s.responses, 4 * step.requests.ok);
      assert.equal(s.firstResponseUs.count, step.requests.ok);
      assert.equal(s.interResponseUs.count, 3 * step.requests.ok);
    }
  });

  test('setups that cannot work exit 1 with a message', async () => {
    const decoupled = await perf([
      '-m',
      'repeat_int32',
      ...urls.grpc,
      '--shape',
      'IN:1',
      '--shape',
      'DELAY:1',
      ...SHORT,
    ]);
    assert.equal(decoupled.code, 1);
    assert.match(decoupled.err, /^tensorgate perf: the first request failed: .*decoupled/m);
    const http = await perf(['-m', 'repeat_int32', ...urls.http, '--streaming', ...SHORT]);
    assert.equal(http.code, 1);
    assert.match(http.err, /--streaming needs --protocol grpc/);
    const variable = await perf(['-m', 'repeat_int32', ...urls.grpc, '--streaming', ...SHORT]);
    assert.equal(variable.code, 1);
    assert.match(variable.err, /input IN has variable dimensions \[-1\]; give --shape IN:dims/);
    const missing = await perf(['-m', 'no_such_model', ...urls.http, ...SHORT]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no_such_model/);
    const both = await perf(['-m', 'simple', ...urls.http, '--concurrency-range', '1', '--request-rate-range', '5']);
    assert.equal(both.code, 1);
    assert.match(both.err, /not both/);
  });

  test('image_classifier (3x224x224 FP32 inputs, 150k values each) with -b 2 over both protocols', async () => {
    for (const protocol of ['http', 'grpc'] as const) {
      const r = await perf(['-m', 'image_classifier', ...urls[protocol], '-b', '2', ...SHORT, '--format', 'json']);
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out) as PerfReport;
      checkStep(report, 0);
      assert.equal(report.batchSize, 2);
      // Every request carries two images, so every execution holds at least two.
      assert.ok(report.steps[0]!.server!.avgBatchSize >= 2, String(report.steps[0]!.server!.avgBatchSize));
    }
  });

  test('the llm with default inputs: a prompt in text_input, output tokens per second reported', async () => {
    const r = await perf(['-m', 'llm', ...urls.http, ...SHORT, '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as PerfReport;
    checkStep(report, 0);
    const tokens = report.steps[0]!.tokens;
    assert.ok(tokens, 'tokens reported');
    assert.ok(tokens.outputTokens > 0 && tokens.perRequest > 0 && tokens.outputTokensPerSec > 0);
    const table = await perf(['-m', 'llm', ...urls.grpc, ...SHORT]);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /tok\/s\s+tok\/req/);
  });
});
