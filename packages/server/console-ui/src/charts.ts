/**
 * Live charts of one model version (uPlot): throughput and failures per second, p50 / p99
 * latency and mean queue time, and for LLMs tokens per second and time to first token. Each
 * chart also prints its latest values, and carries `data-total` (the sum of its first series over
 * the window) so a test can see it move.
 */
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { LiveSeries } from '../../src/frontends/console/live-stats.js';
import { ratesPerSecond } from '../../src/frontends/console/logic/live-series.js';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  /** Counts per second (legend: mean of the last 10 s) rather than latencies (legend: latest). */
  rate: boolean;
  labels: string[];
  values: Array<Array<number | null>>;
}

function specs(s: LiveSeries, intervalMs: number): ChartSpec[] {
  const out: ChartSpec[] = [
    {
      id: 'throughput',
      title: 'Throughput',
      unit: 'req/s',
      rate: true,
      labels: ['requests/s', 'failures/s'],
      values: [ratesPerSecond(s.requests, intervalMs), ratesPerSecond(s.failures, intervalMs)],
    },
    {
      id: 'latency',
      title: 'Latency',
      unit: 'ms',
      rate: false,
      labels: ['p50', 'p99', 'queue (mean)'],
      values: [s.p50_ms, s.p99_ms, s.queue_ms],
    },
  ];
  if (s.llm) {
    out.push(
      {
        id: 'tokens',
        title: 'Tokens',
        unit: 'tokens/s',
        rate: true,
        labels: ['tokens/s'],
        values: [ratesPerSecond(s.tokens, intervalMs)],
      },
      { id: 'ttft', title: 'Time to first token', unit: 'ms', rate: false, labels: ['p50'], values: [s.ttft_ms] },
    );
  }
  return out;
}

/** The legend's number: a rate's mean over the last 10 s, a latency's latest value. */
function latest(values: ReadonlyArray<number | null> | undefined, rate: boolean): number | null {
  if (values === undefined || values.length === 0) return null;
  if (rate) {
    const tail = values.slice(-10);
    return tail.reduce<number>((a, v) => a + (v ?? 0), 0) / tail.length;
  }
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return null;
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3);
}

function Chart({ spec, t, testId }: { spec: ChartSpec; t: number[]; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [t.map((ms) => ms / 1000), ...spec.values] as uPlot.AlignedData;
  useEffect(() => {
    if (box.current === null) return;
    plot.current = new uPlot(
      {
        width: 420,
        height: 160,
        legend: { show: false },
        cursor: { show: true },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { label: spec.unit, size: 50 }],
        series: [
          {},
          ...spec.labels.map((label, i) => ({
            label,
            stroke: COLORS[i % COLORS.length]!,
            width: 1.5,
            // Latencies are null in seconds without requests: isolated seconds show as points.
            points: { show: !spec.rate, size: 5 },
          })),
        ],
      },
      data,
      box.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [spec.id, spec.labels.length]);
  useEffect(() => {
    plot.current?.setData(data);
  });
  const total = (spec.values[0] ?? []).reduce<number>((a, v) => a + (v ?? 0), 0);
  return html`<figure class="chart" data-chart=${testId} data-total=${String(total)}>
    <figcaption>
      ${spec.title}
      ${spec.labels.map(
        (label, i) =>
          html`<span class="legend" style=${{ color: COLORS[i % COLORS.length] }}
            >${label} ${fmt(latest(spec.values[i], spec.rate))}</span
          >`,
      )}
    </figcaption>
    <div ref=${box}></div>
  </figure>`;
}

/** The charts of one model version. */
export function LiveCharts({ series, intervalMs = 1000 }: { series: LiveSeries; intervalMs?: number }) {
  const key = `${series.model}/${series.version}`;
  return html`<div class="charts">
    ${specs(series, intervalMs).map(
      (spec) => html`<${Chart} key=${spec.id} spec=${spec} t=${series.t} testId=${`${key}:${spec.id}`} />`,
    )}
  </div>`;
}
