/**
 * The tensorgate web console (docs/console.md): Preact components written with htm (tagged
 * templates: no build-time JSX, no eval), bundled by scripts/build-console.mjs.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { LiveSeries } from '../../src/frontends/console/live-stats.js';
import { Api } from './api.js';
import { HeaderDialog, useHeaderDialog } from './header-dialog.js';
import { useLiveStats } from './live-data.js';
import { ModelPage } from './model-page.js';
import { ServerPage } from './server-page.js';
import type { IndexRow } from './types.js';

const api = new Api();

/** The route in the URL hash: `#/` or `#/models/<name>/<tab>`. */
function useRoute(): string[] {
  const read = (): string[] =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((p) => p !== '')
      .map(decodeURIComponent);
  const [route, setRoute] = useState(read());
  useEffect(() => {
    const on = (): void => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** The model list, refreshed every 3 s while the page is visible and after each load / unload. */
function useModels(): { rows: IndexRow[]; error: string; refresh: () => void } {
  const [rows, setRows] = useState<IndexRow[]>([]);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    if (!document.hidden) {
      api
        .json<IndexRow[]>('/v2/repository/index', { method: 'POST', body: '{}' })
        .then((r) => live && (setRows(r), setError('')))
        .catch((e: Error) => live && setError(e.message));
    }
    const timer = setTimeout(() => setTick((t) => t + 1), 3000);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick]);
  return { rows, error, refresh: () => setTick((t) => t + 1) };
}

function stateClass(state = ''): string {
  return state === 'READY' ? 'ok' : state === 'UNAVAILABLE' ? 'bad' : 'busy';
}

function App() {
  const route = useRoute();
  const dialog = useHeaderDialog(api);
  const models = useModels();
  const live: Map<string, LiveSeries> = useLiveStats(api);
  const names = [...new Set(models.rows.map((r) => r.name))].sort();
  const selected = route[0] === 'models' ? route[1] : undefined;
  return html`
    <header class="top">
      <a class="brand" href="#/">tensorgate console</a>
      <button class="link" onClick=${() => dialog.open()}>Headers…</button>
    </header>
    <div class="layout">
      <nav class="side" aria-label="models">
        <a class=${selected === undefined ? 'current' : ''} href="#/">Server</a>
        <h2>Models</h2>
        ${models.error && html`<p class="error">${models.error}</p>`}
        <ul data-testid="model-list">
          ${names.map((name) => {
            const state =
              models.rows.find((r) => r.name === name && r.state === 'READY')?.state ??
              models.rows.find((r) => r.name === name)?.state;
            return html`<li key=${name}>
              <a class=${selected === name ? 'current' : ''} href=${`#/models/${encodeURIComponent(name)}`}
                ><span class=${`dot ${stateClass(state)}`} title=${state ?? 'not loaded'}></span>${name}</a
              >
            </li>`;
          })}
        </ul>
      </nav>
      <main>
        ${
          selected === undefined
            ? html`<${ServerPage} api=${api} models=${models.rows} live=${live} onChange=${models.refresh} />`
            : html`<${ModelPage}
                key=${selected}
                api=${api}
                name=${selected}
                tab=${route[2] ?? 'overview'}
                rows=${models.rows.filter((r) => r.name === selected)}
                live=${live}
                onChange=${models.refresh}
              />`
        }
      </main>
    </div>
    <${HeaderDialog} state=${dialog} />
  `;
}

const root = document.getElementById('app')!;
// The page's "Loading" line goes; Preact then owns the element.
root.textContent = '';
render(html`<${App} />`, root);
