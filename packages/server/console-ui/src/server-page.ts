/**
 * The server page: version, extensions, uptime, ports, control mode and restricted groups; every
 * model version with its state, failure reason and load / unload / reload buttons; and the live
 * charts of every version that served requests.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { LiveSeries } from '../../src/frontends/console/live-stats.js';
import type { Api } from './api.js';
import { LiveCharts } from './charts.js';
import { ModelActions } from './model-actions.js';
import type { ConsoleServer, IndexRow, ServerMetadata } from './types.js';

function duration(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${d > 0 ? `${d}d ` : ''}${h}h ${m}m ${s % 60}s`;
}

/** Server facts, refreshed every 5 s (uptime). */
function useServer(api: Api): { meta?: ServerMetadata; info?: ConsoleServer; error: string } {
  const [state, setState] = useState<{ meta?: ServerMetadata; info?: ConsoleServer; error: string }>({ error: '' });
  useEffect(() => {
    let live = true;
    const load = async (): Promise<void> => {
      try {
        const [meta, info] = await Promise.all([
          api.json<ServerMetadata>('/v2'),
          api.json<ConsoleServer>('/console/api/server'),
        ]);
        if (live) setState({ meta, info, error: '' });
      } catch (e) {
        if (live) setState((s) => ({ ...s, error: (e as Error).message }));
      }
    };
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api]);
  return state;
}

/** The page. */
export function ServerPage({
  api,
  models,
  live,
  onChange,
}: {
  api: Api;
  models: IndexRow[];
  live: Map<string, LiveSeries>;
  onChange: () => void;
}) {
  const { meta, info, error } = useServer(api);
  const active = [...live.values()].filter((s) => s.requests.some((n) => n > 0));
  return html`<section>
      <h1>Server</h1>
      ${error && html`<p class="error">${error}</p>`}
      <dl class="facts" data-testid="server-panel">
        <dt>Name</dt>
        <dd>${meta?.name ?? '…'}</dd>
        <dt>Version</dt>
        <dd data-testid="server-version">${meta?.version ?? '…'}</dd>
        <dt>Uptime</dt>
        <dd>${info ? duration(info.uptime_s) : '…'}</dd>
        <dt>Ports</dt>
        <dd>
          ${
            info
              ? Object.entries(info.ports)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(' · ')
              : '…'
          }
        </dd>
        <dt>Model control</dt>
        <dd data-testid="control-mode">${info?.model_control_mode ?? '…'}</dd>
        <dt>Restricted</dt>
        <dd>
          ${
            info === undefined
              ? '…'
              : info.restricted.length === 0
                ? 'no API group (every group open)'
                : info.restricted.map((r) => html`<code>${r.group}</code> (header <code>${r.header}</code>) `)
          }
        </dd>
        <dt>Extensions</dt>
        <dd class="tags">${(meta?.extensions ?? []).map((e) => html`<span class="tag">${e}</span>`)}</dd>
      </dl>
    </section>
    <section>
      <h2>Models</h2>
      <table class="grid" data-testid="models-table">
        <thead>
          <tr>
            <th>Model</th>
            <th>Version</th>
            <th>State</th>
            <th>Reason</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${models.map(
            (r) =>
              html`<tr key=${`${r.name}/${r.version ?? ''}`}>
                <td><a href=${`#/models/${encodeURIComponent(r.name)}`}>${r.name}</a></td>
                <td>${r.version ?? ''}</td>
                <td><span class=${`state ${r.state ?? ''}`}>${r.state ?? 'not loaded'}</span></td>
                <td class="reason">${r.reason ?? ''}</td>
                <td>
                  <${ModelActions}
                    api=${api}
                    name=${r.name}
                    ready=${r.state === 'READY'}
                    onChange=${onChange}
                    compact
                  />
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section>
      <h2>Live</h2>
      ${
        active.length === 0
          ? html`<p class="muted">
              No requests in the last five minutes. Charts appear here as models serve requests.
            </p>`
          : active.map(
              (s) =>
                html`<div key=${`${s.model}/${s.version}`}>
                  <h3>${s.model} <span class="muted">v${s.version}</span></h3>
                  <${LiveCharts} series=${s} />
                </div>`,
            )
      }
    </section>`;
}
