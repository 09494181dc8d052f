/**
 * One model: its versions with state and failure reason and the load / unload / reload buttons;
 * its config as pbtxt or JSON; metadata; statistics; the try-it form (or the chat, for an LLM);
 * its live charts.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { LiveSeries } from '../../src/frontends/console/live-stats.js';
import { configToPbtxt } from '../../src/frontends/console/logic/pbtxt-writer.js';
import { modelPath, type Api } from './api.js';
import { LiveCharts } from './charts.js';
import { Chat, isLlm } from './chat.js';
import { ModelActions } from './model-actions.js';
import { StatsView } from './stats-view.js';
import { TryIt } from './try-it.js';
import type { IndexRow, ModelConfigJson, ModelMetadata } from './types.js';

const TABS: Array<[string, string]> = [
  ['overview', 'Overview'],
  ['config', 'Config'],
  ['metadata', 'Metadata'],
  ['statistics', 'Statistics'],
  ['try', 'Try it'],
  ['live', 'Live'],
];

/** Metadata and config of the model's default version; reloaded when its state changes. */
function useModel(api: Api, name: string, stateKey: string) {
  const [meta, setMeta] = useState<ModelMetadata | null>(null);
  const [config, setConfig] = useState<ModelConfigJson | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    Promise.all([api.json<ModelMetadata>(modelPath(name)), api.json<ModelConfigJson>(`${modelPath(name)}/config`)])
      .then(([m, c]) => {
        if (!live) return;
        setMeta(m);
        setConfig(c);
        setError('');
      })
      .catch((e: Error) => live && (setMeta(null), setConfig(null), setError(e.message)));
    return () => {
      live = false;
    };
  }, [api, name, stateKey]);
  return { meta, config, error };
}

/** The page. */
export function ModelPage({
  api,
  name,
  tab,
  rows,
  live,
  onChange,
}: {
  api: Api;
  name: string;
  tab: string;
  rows: IndexRow[];
  live: Map<string, LiveSeries>;
  onChange: () => void;
}) {
  const stateKey = rows.map((r) => `${r.version}:${r.state}`).join(',');
  const { meta, config, error } = useModel(api, name, stateKey);
  const [configView, setConfigView] = useState<'pbtxt' | 'json'>('pbtxt');
  const ready = rows.some((r) => r.state === 'READY');
  const series = [...live.values()].filter((s) => s.model === name);
  const base = `#/models/${encodeURIComponent(name)}`;
  let body;
  if (tab === 'overview') {
    body = html`<table class="grid" data-testid="versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>State</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                <td>${r.version ?? ''}</td>
                <td><span class=${`state ${r.state ?? ''}`}>${r.state ?? 'not loaded'}</span></td>
                <td class="reason">${r.reason ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p><${ModelActions} api=${api} name=${name} ready=${ready} onChange=${onChange} /></p>
      ${
        meta &&
        html`<p>Platform <code>${meta.platform}</code>, versions ${(meta.versions ?? []).join(', ')}</p>
          <h3>Inputs</h3>
          <${TensorTable} tensors=${meta.inputs} />
          <h3>Outputs</h3>
          <${TensorTable} tensors=${meta.outputs} />`
      }`;
  } else if (tab === 'config') {
    body = config
      ? html`<div class="toggle">
            <button class=${configView === 'pbtxt' ? 'on' : ''} onClick=${() => setConfigView('pbtxt')}>pbtxt</button>
            <button class=${configView === 'json' ? 'on' : ''} onClick=${() => setConfigView('json')}>JSON</button>
          </div>
          <pre class="code" data-testid="config">
${configView === 'pbtxt' ? configToPbtxt(config) : JSON.stringify(config, null, 2)}</pre>
          <p class="muted">
            ${
              configView === 'pbtxt'
                ? 'The config the server uses (defaults filled in), printed as protobuf text; fields at their default are left out.'
                : 'GET /v2/models/{m}/config: every field, defaults included.'
            }
          </p>`
      : null;
  } else if (tab === 'metadata') {
    body = meta ? html`<pre class="code" data-testid="metadata">${JSON.stringify(meta, null, 2)}</pre>` : null;
  } else if (tab === 'statistics') {
    body = html`<${StatsView} api=${api} name=${name} />`;
  } else if (tab === 'try') {
    body =
      meta && config
        ? isLlm(meta, config)
          ? html`<${Chat} api=${api} meta=${meta} />`
          : html`<${TryIt} api=${api} meta=${meta} config=${config} />`
        : null;
  } else {
    body =
      series.length === 0
        ? html`<p class="muted">No data yet: charts fill in as the model serves requests.</p>`
        : series.map(
            (s) =>
              html`<h3>Version ${s.version}</h3>
                <${LiveCharts} series=${s} />`,
          );
  }
  return html`<section>
    <h1>${name}</h1>
    <nav class="tabs">
      ${TABS.map(([id, label]) => html`<a class=${tab === id ? 'current' : ''} href=${`${base}/${id}`}>${label}</a>`)}
    </nav>
    ${error && !ready && tab !== 'overview' ? html`<p class="muted">The model is not ready: ${error}</p>` : error && html`<p class="error">${error}</p>`}
    ${body}
  </section>`;
}

function TensorTable({ tensors }: { tensors: ModelMetadata['inputs'] }) {
  return html`<table class="grid">
    <thead>
      <tr>
        <th>Name</th>
        <th>Datatype</th>
        <th>Shape</th>
      </tr>
    </thead>
    <tbody>
      ${tensors.map(
        (t) =>
          html`<tr>
            <td><code>${t.name}</code></td>
            <td>${t.datatype}</td>
            <td>[${t.shape.join(', ')}]</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}
