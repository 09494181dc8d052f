/**
 * Text renderers of a {@link PerfReport}: an aligned table for people, CSV for spreadsheets
 * (perf_analyzer's `-f` column names where they mean the same), and JSON for programs.
 */
import { levelTitle, stepLevel, type PerfReport, type PerfStep } from './perf-report.js';

/** The output formats of `--format`. */
export type ReportFormat = 'table' | 'csv' | 'json';

/** Renders in the chosen format (always ends with a newline). */
export function renderReport(report: PerfReport, format: ReportFormat): string {
  if (format === 'json') return renderJson(report);
  if (format === 'csv') return renderCsv(report);
  return renderTable(report);
}

/** The report as pretty-printed JSON (NaN, which JSON lacks, becomes null). */
export function renderJson(report: PerfReport): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

const us = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '' : String(Math.round(v)));
const rate = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '');

/** One column of the CSV/HTML tables: its perf_analyzer-style title and how a step fills it. */
export interface Column {
  readonly title: string;
  readonly value: (s: PerfStep) => string;
}

/** The columns a report's tables show: fixed ones plus percentile, streaming and rate columns when they apply. */
export function reportColumns(report: PerfReport): Column[] {
  const cols: Column[] = [
    { title: levelTitle(report), value: (s) => String(stepLevel(s)) },
    { title: 'Inferences/Second', value: (s) => rate(s.throughput.inferencesPerSec) },
    { title: 'Requests/Second', value: (s) => rate(s.throughput.requestsPerSec) },
    { title: 'Server Queue', value: (s) => us(s.server?.queueUs) },
    { title: 'Server Compute Input', value: (s) => us(s.server?.computeInputUs) },
    { title: 'Server Compute Infer', value: (s) => us(s.server?.computeInferUs) },
    { title: 'Server Compute Output', value: (s) => us(s.server?.computeOutputUs) },
    { title: 'Server Avg Batch', value: (s) => (s.server ? s.server.avgBatchSize.toFixed(2) : '') },
    { title: 'Avg latency', value: (s) => us(s.latencyUs.avg) },
    { title: 'p50 latency', value: (s) => us(s.latencyUs.p50) },
    { title: 'p90 latency', value: (s) => us(s.latencyUs.p90) },
    { title: 'p95 latency', value: (s) => us(s.latencyUs.p95) },
    { title: 'p99 latency', value: (s) => us(s.latencyUs.p99) },
  ];
  if (report.percentile !== undefined) {
    cols.push({ title: `p${report.percentile} latency`, value: (s) => us(s.latencyUs.pN) });
  }
  if (report.streaming) {
    cols.push(
      { title: 'Avg first response', value: (s) => us(s.streaming?.firstResponseUs.avg) },
      { title: 'p99 first response', value: (s) => us(s.streaming?.firstResponseUs.p99) },
      { title: 'Avg inter-response', value: (s) => us(s.streaming?.interResponseUs.avg) },
      { title: 'p99 inter-response', value: (s) => us(s.streaming?.interResponseUs.p99) },
      { title: 'Responses/Request', value: (s) => (s.streaming ? s.streaming.responsesPerRequest.toFixed(2) : '') },
    );
  }
  if (report.steps.some((s) => s.tokens !== undefined)) {
    cols.push(
      { title: 'Output Tokens/Second', value: (s) => (s.tokens ? rate(s.tokens.outputTokensPerSec) : '') },
      { title: 'Output Tokens/Request', value: (s) => (s.tokens ? s.tokens.perRequest.toFixed(1) : '') },
    );
  }
  if (report.mode === 'request-rate') {
    cols.push(
      { title: 'Delayed Requests', value: (s) => String(s.schedule?.delayed ?? 0) },
      { title: 'Not Sent', value: (s) => String(s.schedule?.notSent ?? 0) },
    );
  }
  cols.push(
    { title: 'Errors', value: (s) => String(s.requests.failed) },
    { title: 'Stable', value: (s) => (s.stable ? 'yes' : 'no') },
  );
  return cols;
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One header line and one row per step, in the order the steps ran (perf_analyzer sorts by
 * throughput; step order keeps the load axis readable). Times in microseconds.
 *
 * @example
 * ```ts
 * writeFileSync('perf.csv', renderCsv(report));
 * ```
 */
export function renderCsv(report: PerfReport): string {
  const cols = reportColumns(report);
  const lines = [cols.map((c) => csvCell(c.title)).join(',')];
  for (const step of report.steps) lines.push(cols.map((c) => csvCell(c.value(step))).join(','));
  return `${lines.join('\n')}\n`;
}

/** A header of the run's settings, then an aligned table (latencies in µs), then any errors. */
export function renderTable(report: PerfReport): string {
  const out: string[] = [];
  const load =
    report.mode === 'concurrency'
      ? 'closed loop (concurrency)'
      : `open loop (request rate, ${report.requestDistribution ?? 'constant'})`;
  out.push(
    `Model ${report.model}${report.modelVersion ? ` version ${report.modelVersion}` : ''} over ${report.protocol} at ${report.url}`,
    `Load: ${load}${report.streaming ? ', streaming' : ''}; batch size ${report.batchSize}; input data ${report.inputData}`,
    `Windows of ${report.measurementIntervalMs} ms until the last 3 agree within ${report.stabilityPercentage}% ` +
      `(at most ${report.maxTrials}); latencies in microseconds`,
    '',
  );
  const cols = reportColumns(report).map((c) => ({ ...c, title: shortTitle(c.title) }));
  const cells = report.steps.map((s) => cols.map((c) => c.value(s)));
  const widths = cols.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: string[]): string => row.map((v, i) => v.padStart(widths[i]!)).join('  ');
  out.push(line(cols.map((c) => c.title)));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) out.push(line(row));
  const failures = report.steps.filter((s) => s.requests.failed > 0);
  if (failures.length > 0) out.push('');
  for (const s of failures) {
    const codes = Object.entries(s.requests.errors)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    out.push(
      `${levelTitle(report)} ${stepLevel(s)}: ${s.requests.failed} failed (${codes}); first: ${s.requests.firstError ?? ''}`,
    );
  }
  const unstable = report.steps.filter((s) => !s.stable).map(stepLevel);
  if (unstable.length > 0) {
    out.push(
      '',
      `Not stable within ${report.maxTrials} trials at ${levelTitle(report).toLowerCase()} ${unstable.join(', ')}.`,
    );
  }
  return `${out.join('\n')}\n`;
}

const SHORT: Readonly<Record<string, string>> = {
  'Inferences/Second': 'infer/s',
  'Requests/Second': 'req/s',
  'Server Avg Batch': 'batch',
  'Server Queue': 'queue',
  'Server Compute Input': 'c.input',
  'Server Compute Infer': 'c.infer',
  'Server Compute Output': 'c.output',
  'Avg latency': 'avg',
  'p50 latency': 'p50',
  'p90 latency': 'p90',
  'p95 latency': 'p95',
  'p99 latency': 'p99',
  'Avg first response': 'ttfr avg',
  'p99 first response': 'ttfr p99',
  'Avg inter-response': 'inter avg',
  'p99 inter-response': 'inter p99',
  'Responses/Request': 'resp/req',
  'Output Tokens/Second': 'tok/s',
  'Output Tokens/Request': 'tok/req',
  'Delayed Requests': 'delayed',
  'Not Sent': 'not sent',
  Errors: 'errors',
  Stable: 'stable',
};

function shortTitle(title: string): string {
  return SHORT[title] ?? title.replace(/ latency$/, '');
}
