/**
 * The dialog that asks for a restricted-API header's value (`--http-restricted-api`): opened by
 * the API layer when a call is refused with 403, or by the "Headers…" button to enter one ahead.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.js';

/** The dialog's state. */
export interface HeaderDialogState {
  /** The header asked for ('' when the user opened the dialog to type one). */
  header: string | null;
  open(): void;
  submit(header: string, value: string): void;
  cancel(): void;
}

/** Wires the dialog to the API layer; questions for several headers are asked one after another. */
export function useHeaderDialog(api: Api): HeaderDialogState {
  const [asked, setAsked] = useState<Array<{ header: string; resolve: (v: string | null) => void }>>([]);
  const [typing, setTyping] = useState(false);
  useEffect(() => {
    api.onAskHeader((header) => new Promise<string | null>((resolve) => setAsked((q) => [...q, { header, resolve }])));
  }, [api]);
  const current = asked[0];
  const close = (value: string | null): void => {
    if (current) {
      current.resolve(value);
      setAsked((q) => q.slice(1));
    } else {
      setTyping(false);
    }
  };
  return {
    header: current ? current.header : typing ? '' : null,
    open: () => setTyping(true),
    submit: (h, value) => {
      if (h !== '') api.setHeader(h, value);
      close(value);
    },
    cancel: () => close(null),
  };
}

/** The dialog (rendered only while open). */
export function HeaderDialog({ state }: { state: HeaderDialogState }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  useEffect(() => {
    setName(state.header ?? '');
    setValue('');
  }, [state.header]);
  if (state.header === null) return null;
  const onSubmit = (e: Event): void => {
    e.preventDefault();
    state.submit(name.trim(), value);
  };
  return html`<div class="overlay">
    <form class="dialog" role="dialog" aria-label="restricted API header" onSubmit=${onSubmit}>
      <h2>Restricted API</h2>
      <p>
        ${
          state.header === ''
            ? 'Send a header with every call (the value stays in this page only).'
            : html`The server needs the header <code>${state.header}</code> for this call
                (<code>--http-restricted-api</code>). Its value stays in this page only.`
        }
      </p>
      <label
        >Header
        <input
          name="header"
          value=${name}
          readonly=${state.header !== ''}
          onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)}
      /></label>
      <label
        >Value
        <input
          name="value"
          type="password"
          autocomplete="off"
          value=${value}
          onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
      /></label>
      <div class="row">
        <button type="submit">Send</button>
        <button type="button" class="link" onClick=${() => state.cancel()}>Cancel</button>
      </div>
    </form>
  </div>`;
}
