/**
 * The console's chart data: the rows `GET /console/api/stats?since=` returns, appended to what
 * the page already holds per model version, oldest dropped past a limit.
 */
import type { LiveSeries, LiveStatsSnapshot } from '../live-stats.js';

/** Columns merged (every array of a {@link LiveSeries}). */
const COLUMNS = ['t', 'requests', 'failures', 'p50_ms', 'p99_ms', 'queue_ms', 'tokens', 'ttft_ms'] as const;

/** `model/version`, the key of a series. */
export function seriesKey(s: { model: string; version: string }): string {
  return `${s.model}/${s.version}`;
}

/**
 * Returns the merged series by key: new rows appended (rows not newer than the held ones are
 * skipped), at most `maxRows` kept; versions absent from the snapshot (unloaded) are dropped.
 */
export function mergeLiveStats(
  held: ReadonlyMap<string, LiveSeries>,
  snapshot: LiveStatsSnapshot,
  maxRows: number,
): Map<string, LiveSeries> {
  const out = new Map<string, LiveSeries>();
  for (const incoming of snapshot.models) {
    const key = seriesKey(incoming);
    const old = held.get(key);
    const lastT = old?.t.at(-1) ?? -Infinity;
    const from = incoming.t.findIndex((t) => t > lastT);
    const merged = { ...incoming } as LiveSeries;
    for (const column of COLUMNS) {
      const fresh = from < 0 ? [] : (incoming[column] as unknown[]).slice(from);
      const all = [...((old?.[column] as unknown[] | undefined) ?? []), ...fresh];
      (merged as unknown as Record<string, unknown[]>)[column] = all.slice(Math.max(0, all.length - maxRows));
    }
    out.set(key, merged);
  }
  return out;
}

/** Per-second rates of a series' rows (the charts' y values): counts become per-second. */
export function ratesPerSecond(counts: readonly number[], intervalMs: number): number[] {
  return counts.map((c) => (c * 1000) / intervalMs);
}
