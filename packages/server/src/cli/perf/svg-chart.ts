/**
 * A minimal line chart as an SVG string, for the self-contained HTML report. Hand-written because
 * the report must open offline with no scripts or external assets, and a charting library would
 * be a large dependency (and a browser runtime) for two scatter-line plots.
 */

/** One named line of (x, y) points. */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** A label drawn next to each point (same order as `points`), e.g. the load level that produced it. */
  readonly labels?: readonly string[];
}

/** What to draw. */
export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly width?: number;
  readonly height?: number;
}

/** Escapes text for HTML/SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * "Nice" tick values (1, 2 or 5 × 10^k steps) covering [min, max], about `target` of them.
 *
 * @example
 * ```ts
 * niceTicks(0, 97, 5); // [0, 20, 40, 60, 80, 100]
 * ```
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step - step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 10000) return `${Number((v / 1000).toPrecision(4))}k`;
  return String(Number(v.toPrecision(4)));
}

/**
 * Draws the chart: axes with nice ticks from 0, one polyline with point markers per series, a
 * legend. Points with a non-finite coordinate are skipped.
 *
 * @example
 * ```ts
 * lineChart({ title: 'Latency', xLabel: 'infer/s', yLabel: 'µs', series: [{ name: 'p50', color: '#1f77b4', points: [[10, 900]] }] });
 * ```
 */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 560;
  const height = spec.height ?? 340;
  const m = { left: 64, right: 20, top: 36, bottom: 48 };
  const series = spec.series.map((s) => {
    const keep = s.points.map(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    return {
      ...s,
      points: s.points.filter((_p, i) => keep[i]),
      labels: s.labels?.filter((_l, i) => keep[i]),
    };
  });
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xTicks = niceTicks(0, xs.length ? Math.max(...xs) : 1);
  const yTicks = niceTicks(0, ys.length ? Math.max(...ys) : 1);
  const xMax = xTicks[xTicks.length - 1]!;
  const yMax = yTicks[yTicks.length - 1]!;
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (x: number): number => m.left + (x / xMax) * pw;
  const sy = (y: number): number => m.top + ph - (y / yMax) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${fmt(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#333"/>`,
      `<text x="${x}" y="${m.top + ph + 17}" text-anchor="middle" font-size="11">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(spec.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    if (pts.length > 1) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    }
    s.points.forEach(([x, y], j) => {
      const label = s.labels?.[j];
      const tip = `${s.name}${label !== undefined ? ` (${label})` : ''}: ${fmt(x)}, ${fmt(y)}`;
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${escapeXml(tip)}</title></circle>`,
      );
      if (label !== undefined) {
        parts.push(
          `<text x="${(sx(x) + 5).toFixed(1)}" y="${(sy(y) - 6).toFixed(1)}" font-size="10" fill="${s.color}" class="point-label">${escapeXml(label)}</text>`,
        );
      }
    });
    const lx = m.left + 10 + i * 110;
    parts.push(
      `<rect x="${lx}" y="${m.top + 4}" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${lx + 16}" y="${m.top + 14}" font-size="12">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
