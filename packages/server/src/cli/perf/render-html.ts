/**
 * The self-contained HTML report of `tensorgate perf --html`: the run's settings, two inline SVG
 * charts (latency p50/p99 against throughput; throughput against the load level) and the full
 * table. No scripts, no external styles or fonts: the file can be mailed or archived as is.
 */
import { levelTitle, stepLevel, type PerfReport } from './perf-report.js';
import { reportColumns } from './render-text.js';
import { escapeXml, lineChart } from './svg-chart.js';

const BLUE = '#1f77b4';
const ORANGE = '#ff7f0e';
const GREEN = '#2ca02c';

/**
 * Renders the report as one HTML document.
 *
 * @example
 * ```ts
 * writeFileSync('report.html', renderHtml(report));
 * ```
 */
export function renderHtml(report: PerfReport): string {
  const level = levelTitle(report);
  const throughput = (s: (typeof report.steps)[number]): number => s.throughput.inferencesPerSec;
  // Each latency point is labelled with the load level that produced it (c4 = concurrency 4, r50 = 50 req/s).
  const prefix = report.mode === 'concurrency' ? 'c' : 'r';
  const labels = report.steps.map((s) => `${prefix}${stepLevel(s)}`);
  const latencyChart = lineChart({
    title: 'Latency vs throughput',
    xLabel: 'inferences / second',
    yLabel: 'latency (µs)',
    series: [
      { name: 'p50', color: BLUE, labels, points: report.steps.map((s) => [throughput(s), s.latencyUs.p50] as const) },
      {
        name: 'p99',
        color: ORANGE,
        labels,
        points: report.steps.map((s) => [throughput(s), s.latencyUs.p99] as const),
      },
    ],
  });
  const throughputChart = lineChart({
    title: `Throughput vs ${level.toLowerCase()}`,
    xLabel: report.mode === 'concurrency' ? 'requests in flight' : 'target requests / second',
    yLabel: 'inferences / second',
    series: [
      { name: 'infer/s', color: GREEN, points: report.steps.map((s) => [stepLevel(s), throughput(s)] as const) },
    ],
  });
  const cols = reportColumns(report);
  const table = [
    '<table>',
    `<thead><tr>${cols.map((c) => `<th>${escapeXml(c.title)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...report.steps.map((s) => `<tr>${cols.map((c) => `<td>${escapeXml(c.value(s))}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
  const settings: [string, string][] = [
    ['Model', `${report.model}${report.modelVersion ? ` (version ${report.modelVersion})` : ''}`],
    ['Server', `${report.url} (${report.protocol}${report.streaming ? ', streaming' : ''})`],
    [
      'Load',
      report.mode === 'concurrency'
        ? 'closed loop: a fixed number of requests in flight'
        : `open loop: ${report.requestDistribution ?? 'constant'} arrivals at a target rate`,
    ],
    ['Batch size', String(report.batchSize)],
    ['Input data', report.inputData],
    [
      'Measurement',
      `windows of ${report.measurementIntervalMs} ms, stable when the last 3 agree within ` +
        `${report.stabilityPercentage}% (at most ${report.maxTrials} windows)`,
    ],
    ['Started', report.startedAt],
    ['Tool', `${report.tool} ${report.version}`],
  ];
  const errors = report.steps
    .filter((s) => s.requests.failed > 0)
    .map(
      (s) =>
        `<li>${escapeXml(
          `${level} ${stepLevel(s)}: ${s.requests.failed} failed — ${Object.entries(s.requests.errors)
            .map(([c, n]) => `${c} ×${n}`)
            .join(', ')}; first: ${s.requests.firstError ?? ''}`,
        )}</li>`,
    );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(`tensorgate perf: ${report.model}`)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin-top: 1em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dt { font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.errors { color: #a00; }
</style>
</head>
<body>
<h1>${escapeXml(`tensorgate perf: ${report.model}`)}</h1>
<dl>
${settings.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('\n')}
</dl>
<div class="charts">
${latencyChart}
${throughputChart}
</div>
<h2>Results (latencies in µs)</h2>
${table}
${errors.length ? `<h2>Errors</h2>\n<ul class="errors">\n${errors.join('\n')}\n</ul>` : ''}
</body>
</html>
`;
}
