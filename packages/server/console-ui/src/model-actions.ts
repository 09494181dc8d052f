/**
 * Load / unload / reload of a model (`POST /v2/repository/models/{m}/load|unload`). Reload is a
 * load of a loaded model, which Triton's explicit mode treats as a reload. Errors (e.g. a server
 * not in explicit mode, a restricted `model-repository` group without its header) are shown.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Api } from './api.js';

/** The buttons. */
export function ModelActions({
  api,
  name,
  ready,
  onChange,
  compact = false,
}: {
  api: Api;
  name: string;
  ready: boolean;
  onChange: () => void;
  compact?: boolean;
}) {
  const [busy, setBusy] = useState('');
  const [message, setMessage] = useState('');
  const act = async (action: 'load' | 'unload', label: string): Promise<void> => {
    setBusy(label);
    setMessage('');
    try {
      await api.json(`/v2/repository/models/${encodeURIComponent(name)}/${action}`, { method: 'POST', body: '{}' });
      setMessage(`${label}: done`);
    } catch (e) {
      setMessage(`${label} failed: ${(e as Error).message}`);
    } finally {
      setBusy('');
      onChange();
    }
  };
  return html`<span class=${compact ? 'actions compact' : 'actions'}>
    ${
      ready
        ? html`<button disabled=${busy !== ''} onClick=${() => act('load', 'reload')} data-action="reload">
              Reload
            </button>
            <button disabled=${busy !== ''} onClick=${() => act('unload', 'unload')} data-action="unload">
              Unload
            </button>`
        : html`<button disabled=${busy !== ''} onClick=${() => act('load', 'load')} data-action="load">Load</button>`
    }
    ${busy && html`<span class="muted">${busy}…</span>`}
    ${message && html`<span class=${message.includes('failed') ? 'error' : 'muted'} data-testid="action-message">${message}</span>`}
  </span>`;
}
