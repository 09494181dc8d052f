/**
 * Triton's `--metrics-config <setting>=<value>`, with the settings Triton's core reads
 * (triton-inference-server/core `src/metric_model_reporter.cc`): `counter_latencies`,
 * `histogram_latencies`, `summary_latencies`, `summary_quantiles`. Triton skips keys it does not
 * know; tensorgate refuses them by name (never silently ignore).
 */
import { parseBool } from './setting-values.js';

/** Thrown for an entry tensorgate cannot honour; the message names it. */
export class MetricsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsConfigError';
  }
}

/** A summary quantile and its allowed error, as Triton takes them. */
export interface SummaryQuantile {
  readonly quantile: number;
  readonly error: number;
}

/** The latency metrics to export. */
export interface MetricsConfig {
  /** The `nv_inference_*_duration_us` counters (default on). */
  readonly counterLatencies: boolean;
  /** `nv_inference_first_response_histogram_ms` (default off). */
  readonly histogramLatencies: boolean;
  /** The `nv_inference_*_summary_us` summaries (default off). */
  readonly summaryLatencies: boolean;
  /** Their quantiles (Triton's defaults unless `summary_quantiles` is given). */
  readonly summaryQuantiles: readonly SummaryQuantile[];
}

/** Triton's default summary quantiles (prometheus-cpp's error bounds). */
export const DEFAULT_SUMMARY_QUANTILES: readonly SummaryQuantile[] = [
  { quantile: 0.5, error: 0.05 },
  { quantile: 0.9, error: 0.01 },
  { quantile: 0.95, error: 0.001 },
  { quantile: 0.99, error: 0.001 },
  { quantile: 0.999, error: 0.001 },
];

/** The settings tensorgate takes. */
const KNOWN = ['counter_latencies', 'histogram_latencies', 'summary_latencies', 'summary_quantiles'];

/** Settings people look for that tensorgate (like Triton) does not have, with why. */
const REFUSED: Readonly<Record<string, string>> = {
  summary_max_age:
    "Triton has no such setting; summaries keep Triton's (prometheus-cpp's) window: 60 s in 5 age buckets",
  summary_age_buckets:
    "Triton has no such setting; summaries keep Triton's (prometheus-cpp's) window: 60 s in 5 age buckets",
};

function parseQuantiles(entry: string, text: string): SummaryQuantile[] {
  // Triton's docs quote the value; a shell passes the quotes through when they are inside a word.
  const unquoted = text.trim().replace(/^"(.*)"$/, '$1');
  return unquoted.split(',').map((pair) => {
    const [q, e, extra] = pair.split(':').map((part) => part.trim());
    const quantile = Number(q);
    const error = Number(e);
    const ok =
      extra === undefined && q !== '' && e !== '' && quantile >= 0 && quantile <= 1 && error >= 0 && error <= 1;
    if (!ok || !Number.isFinite(quantile) || !Number.isFinite(error)) {
      throw new MetricsConfigError(
        `--metrics-config ${entry}: expected <quantile>:<error>,... with numbers from 0 to 1, e.g. 0.5:0.05,0.9:0.01`,
      );
    }
    return { quantile, error };
  });
}

function parseFlag(entry: string, value: string): boolean {
  try {
    return parseBool(value);
  } catch {
    throw new MetricsConfigError(`--metrics-config ${entry}: expected true or false`);
  }
}

/**
 * Parses the `--metrics-config` entries; a later entry for a setting wins.
 *
 * @example
 * ```ts
 * parseMetricsConfig(['summary_latencies=true']).summaryLatencies; // true
 * ```
 */
export function parseMetricsConfig(entries: readonly string[]): MetricsConfig {
  let config: MetricsConfig = {
    counterLatencies: true,
    histogramLatencies: false,
    summaryLatencies: false,
    summaryQuantiles: DEFAULT_SUMMARY_QUANTILES,
  };
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const setting = eq > 0 ? entry.slice(0, eq).trim() : '';
    const value = eq > 0 ? entry.slice(eq + 1) : '';
    if (setting === '' || value.trim() === '' || setting.includes(',')) {
      throw new MetricsConfigError(`--metrics-config ${entry}: expected <setting>=<value>`);
    }
    const refused = REFUSED[setting];
    if (refused !== undefined) throw new MetricsConfigError(`--metrics-config ${setting} is not supported: ${refused}`);
    switch (setting) {
      case 'counter_latencies':
        config = { ...config, counterLatencies: parseFlag(entry, value) };
        break;
      case 'histogram_latencies':
        config = { ...config, histogramLatencies: parseFlag(entry, value) };
        break;
      case 'summary_latencies':
        config = { ...config, summaryLatencies: parseFlag(entry, value) };
        break;
      case 'summary_quantiles':
        config = { ...config, summaryQuantiles: parseQuantiles(entry, value) };
        break;
      default:
        throw new MetricsConfigError(`--metrics-config ${setting} is unknown; tensorgate takes ${KNOWN.join(', ')}`);
    }
  }
  return config;
}
