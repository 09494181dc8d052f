/**
 * The charts' data: polls `GET /console/api/stats?since=` every second while the page is visible
 * and merges the new rows per model version (logic/live-series.ts).
 */
import { useEffect, useState } from 'preact/hooks';
import type { LiveSeries, LiveStatsSnapshot } from '../../src/frontends/console/live-stats.js';
import { mergeLiveStats } from '../../src/frontends/console/logic/live-series.js';
import type { Api } from './api.js';

/** Rows kept per version in the page: five minutes. */
const MAX_ROWS = 300;

/** The live series by `model/version`, refreshed every second. */
export function useLiveStats(api: Api): Map<string, LiveSeries> {
  const [series, setSeries] = useState(new Map<string, LiveSeries>());
  useEffect(() => {
    let held = new Map<string, LiveSeries>();
    let since = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      // A hidden tab does not poll; `since` catches up on the kept rows when it shows again.
      if (document.hidden) {
        if (!stopped) timer = setTimeout(() => void poll(), 1000);
        return;
      }
      try {
        const snap = await api.json<LiveStatsSnapshot>(`/console/api/stats?since=${since}`);
        held = mergeLiveStats(held, snap, MAX_ROWS);
        if (snap.last > 0) since = snap.last;
        setSeries(held);
      } catch {
        // restricted or the server is gone: try again later
      }
      if (!stopped) timer = setTimeout(() => void poll(), 1000);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api]);
  return series;
}
