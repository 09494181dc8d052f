/**
 * A model's statistics (`GET /v2/models/{m}/stats`, Triton's statistics extension): counts and
 * mean durations per version, and the raw answer.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { modelPath, type Api } from './api.js';

interface Duration {
  count: number;
  ns: number;
}
interface VersionStats {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<string, Duration>;
}

function mean(d: Duration | undefined): string {
  return d && d.count > 0 ? `${(d.ns / d.count / 1e6).toFixed(3)} ms` : '–';
}

/** The view (refreshed every 2 s). */
export function StatsView({ api, name }: { api: Api; name: string }) {
  const [stats, setStats] = useState<{ model_stats: VersionStats[] } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const load = (): void =>
      void api
        .json<{ model_stats: VersionStats[] }>(`${modelPath(name)}/stats`)
        .then((s) => live && (setStats(s), setError('')))
        .catch((e: Error) => live && setError(e.message));
    load();
    const timer = setInterval(load, 2000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, name]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!stats) return null;
  const keys = [
    'success',
    'fail',
    'queue',
    'compute_input',
    'compute_infer',
    'compute_output',
    'cache_hit',
    'cache_miss',
  ];
  return html`<table class="grid" data-testid="statistics">
      <thead>
        <tr>
          <th>Version</th>
          <th>Inferences</th>
          <th>Executions</th>
          ${keys.map((k) => html`<th>${k} (count · mean)</th>`)}
        </tr>
      </thead>
      <tbody>
        ${stats.model_stats.map(
          (s) =>
            html`<tr>
              <td>${s.version}</td>
              <td>${s.inference_count}</td>
              <td>${s.execution_count}</td>
              ${keys.map((k) => html`<td>${s.inference_stats[k]?.count ?? 0} · ${mean(s.inference_stats[k])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    <details>
      <summary>Raw</summary>
      <pre class="code">${JSON.stringify(stats, null, 2)}</pre>
    </details>`;
}
