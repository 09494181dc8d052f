// Small statistics and formatting helpers for the benchmark scripts.

/** Median of a list of numbers (the lower middle for an even count, as in bench/grpc-vs-echo.mjs). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Nearest-rank percentile `p` (0–100) of an ascending-sorted array. */
export function percentileSorted(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Latency summary of the first `n` values of `samples` (sorted in place; values in ms). */
export function summarize(samples, n) {
  const s = samples.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i];
  return {
    count: n,
    mean: n ? sum / n : NaN,
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p95: percentileSorted(s, 95),
    p99: percentileSorted(s, 99),
    max: n ? s[n - 1] : NaN,
  };
}

/** Fixed-point with thousands separators, e.g. 12,345.6. */
export function num(x, digits = 1) {
  if (x === undefined || Number.isNaN(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A Markdown table from a header row and data rows. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
