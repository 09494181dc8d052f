/**
 * The chat of an LLM-contract model (a decoupled model with a `text_input` and a `text_output`
 * string tensor): each turn is a `generate_stream` request (Triton's generate extension, Server-
 * Sent Events) whose tokens appear as they arrive; the conversation goes in `chat_messages` when
 * the model has that input (rendered with its chat template), else the last message in
 * `text_input`. Stop cancels the request (closing the connection cancels it on the server).
 */
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { SseReader } from '../../src/frontends/console/logic/sse.js';
import {
  chatClientSnippet,
  chatCurlSnippet,
  type ChatSnippetRequest,
} from '../../src/frontends/console/logic/snippets.js';
import { ApiError, modelPath, type Api } from './api.js';
import type { ModelConfigJson, ModelMetadata } from './types.js';

/** True for a model of the LLM contract. */
export function isLlm(meta: ModelMetadata, config: ModelConfigJson): boolean {
  return (
    config.model_transaction_policy?.decoupled === true &&
    meta.inputs.some((i) => i.name === 'text_input' && i.datatype === 'BYTES') &&
    meta.outputs.some((o) => o.name === 'text_output' && o.datatype === 'BYTES')
  );
}

interface Message {
  role: 'user' | 'assistant';
  content: string;
}

/** The chat. */
export function Chat({ api, meta }: { api: Api; meta: ModelMetadata }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [text, setText] = useState('');
  const [maxTokens, setMaxTokens] = useState(64);
  const [temperature, setTemperature] = useState(0);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [sent, setSent] = useState<ChatSnippetRequest | null>(null);
  const [snippet, setSnippet] = useState<'curl' | 'client'>('curl');
  const abort = useRef<AbortController | null>(null);
  const chatInput = meta.inputs.some((i) => i.name === 'chat_messages');

  const send = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (text.trim() === '' || abort.current) return;
    const history: Message[] = [...messages, { role: 'user', content: text }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    setText('');
    setError('');
    const body: Record<string, unknown> = {
      ...(chatInput ? { chat_messages: JSON.stringify(history) } : { text_input: text }),
      stream: true,
      sampling_parameters: JSON.stringify({ max_tokens: maxTokens, temperature }),
    };
    const request = { baseUrl: location.origin, model: meta.name, body, headers: api.headerNames() };
    setSent(request);
    const controller = new AbortController();
    abort.current = controller;
    const started = performance.now();
    let first = 0;
    let chunks = 0;
    let reply = '';
    try {
      const res = await api.fetch(`${modelPath(meta.name)}/generate_stream`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        signal: controller.signal,
      });
      if (!res.ok || res.body === null) {
        const t = await res.text();
        let message = t;
        try {
          message = (JSON.parse(t) as { error?: string }).error ?? t;
        } catch {
          // not JSON
        }
        throw new ApiError(res.status, message);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const sse = new SseReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const data of sse.feed(value)) {
          const event = JSON.parse(data) as { text_output?: unknown; error?: string };
          if (event.error !== undefined) throw new Error(event.error);
          const piece = Array.isArray(event.text_output) ? event.text_output.join('') : String(event.text_output ?? '');
          if (piece === '') continue;
          if (first === 0) first = performance.now();
          chunks += 1;
          reply += piece;
          setMessages([...history, { role: 'assistant', content: reply }]);
          setStatus(`${chunks} chunks · first token ${(first - started).toFixed(0)} ms`);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      setStatus(
        `${chunks} chunks in ${seconds.toFixed(2)} s · first token ${first > 0 ? (first - started).toFixed(0) : '–'} ms`,
      );
    } catch (err) {
      if ((err as Error).name === 'AbortError') setStatus('stopped');
      else setError((err as Error).message);
    } finally {
      abort.current = null;
    }
  };

  return html`<div class="chat" data-testid="chat">
    <div class="messages">
      ${messages.length === 0 && html`<p class="muted">Send a message; the reply streams token by token (generate_stream).</p>`}
      ${messages.map(
        (m, i) =>
          html`<div key=${i} class=${`message ${m.role}`} data-role=${m.role}>
            <strong>${m.role}</strong> ${m.content}
          </div>`,
      )}
    </div>
    <form onSubmit=${send}>
      <textarea
        name="message"
        rows="2"
        value=${text}
        placeholder="Message"
        onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
      ></textarea>
      <div class="row">
        <label class="inline"
          >max tokens
          <input
            type="number"
            min="1"
            max="4096"
            value=${maxTokens}
            onInput=${(e: Event) => setMaxTokens(Number((e.target as HTMLInputElement).value))}
        /></label>
        <label class="inline"
          >temperature
          <input
            type="number"
            min="0"
            max="2"
            step="0.1"
            value=${temperature}
            onInput=${(e: Event) => setTemperature(Number((e.target as HTMLInputElement).value))}
        /></label>
        <button type="submit" data-testid="send">Send</button>
        <button type="button" onClick=${() => abort.current?.abort()}>Stop</button>
        <button type="button" class="link" onClick=${() => setMessages([])}>Clear</button>
        <span class="muted" data-testid="chat-status">${status}</span>
      </div>
    </form>
    ${error && html`<p class="error">${error}</p>`}
    ${
      sent &&
      html`<section class="snippets">
        <div class="toggle">
          <button class=${snippet === 'curl' ? 'on' : ''} onClick=${() => setSnippet('curl')}>curl</button>
          <button class=${snippet === 'client' ? 'on' : ''} onClick=${() => setSnippet('client')}>
            @tensorgate/client
          </button>
        </div>
        <pre class="code" data-testid=${`snippet-${snippet}`}>
${snippet === 'curl' ? chatCurlSnippet(sent) : chatClientSnippet(sent)}</pre>
      </section>`
    }
  </div>`;
}
