/**
 * The try-it form of a model, generated from its metadata and config: one field per input
 * (numbers and strings as JSON; a file for a one-element BYTES input; an image, resized and
 * converted in the browser, for an FP32 / UINT8 input shaped like one), top-N classes for outputs
 * with labels; the response as classification tables, images or tensors; and the request as curl
 * and `@tensorgate/client` code.
 */
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { curlSnippet, clientSnippet, type SnippetRequest } from '../../src/frontends/console/logic/snippets.js';
import type { ImageScaling } from '../../src/frontends/console/logic/binary-body.js';
import { exampleText, resolveShape } from '../../src/frontends/console/logic/tensor-form.js';
import { modelPath, type Api } from './api.js';
import { buildInferRequest, initialField, modesOf, type Field } from './form-request.js';
import { ResultView } from './result-view.js';
import type { InferResponse, ModelConfigJson, ModelMetadata } from './types.js';

interface Sent {
  request: SnippetRequest;
  body: Uint8Array | null;
}

/** The form. */
export function TryIt({ api, meta, config }: { api: Api; meta: ModelMetadata; config: ModelConfigJson }) {
  const [fields, setFields] = useState<Record<string, Field>>(() =>
    Object.fromEntries(meta.inputs.map((i) => [i.name, initialField(i, config)])),
  );
  const labelled = useMemo(
    () => new Set((config.output ?? []).filter((o) => (o.label_filename ?? '') !== '').map((o) => o.name)),
    [config],
  );
  const [classes, setClasses] = useState<Record<string, number>>(() =>
    Object.fromEntries([...labelled].map((n) => [n, 5])),
  );
  const [result, setResult] = useState<InferResponse | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<Sent | null>(null);
  const [snippet, setSnippet] = useState<'curl' | 'client'>('curl');
  const optional = new Set((config.input ?? []).filter((i) => i.optional === true).map((i) => i.name));
  const [skipped, setSkipped] = useState<Set<string>>(new Set());

  const update = (name: string, patch: Partial<Field>): void =>
    setFields((f) => ({ ...f, [name]: { ...f[name]!, ...patch } }));

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setResult(null);
    try {
      const { request, body, headers } = await buildInferRequest(
        meta,
        config,
        fields,
        skipped,
        classes,
        api.headerNames(),
      );
      setSent({ request, body: typeof body === 'string' ? null : body });
      const response = await api.json<InferResponse>(`${modelPath(meta.name)}/infer`, {
        method: 'POST',
        body,
        headers,
      });
      setResult(response);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const download = useMemo(() => (sent?.body ? URL.createObjectURL(new Blob([sent.body as BlobPart])) : null), [sent]);

  return html`<form class="try" onSubmit=${submit} data-testid="try-form">
      ${meta.inputs.map((input) => {
        const field = fields[input.name]!;
        const modes = modesOf(input, config);
        return html`<fieldset key=${input.name} data-input=${input.name}>
          <legend><code>${input.name}</code> ${input.datatype} [${input.shape.join(', ')}]</legend>
          ${
            optional.has(input.name) &&
            html`<label class="inline"
              ><input
                type="checkbox"
                checked=${skipped.has(input.name)}
                onChange=${(e: Event) => {
                  const next = new Set(skipped);
                  if ((e.target as HTMLInputElement).checked) next.add(input.name);
                  else next.delete(input.name);
                  setSkipped(next);
                }}
              />
              leave out (optional)</label
            >`
          }
          ${
            modes.length > 1 &&
            html`<div class="toggle">
              ${modes.map(
                (m) =>
                  html`<button
                    type="button"
                    class=${field.mode === m ? 'on' : ''}
                    data-mode=${m}
                    onClick=${() => update(input.name, { mode: m })}
                  >
                    ${m === 'json' ? 'JSON' : m === 'file' ? 'File' : 'Image'}
                  </button>`,
              )}
            </div>`
          }
          ${
            field.mode === 'json'
              ? html`<textarea
                  name=${input.name}
                  rows="3"
                  spellcheck="false"
                  placeholder=${exampleText(input.datatype, resolveShape(input.shape)) === null ? 'too large for a text example: use a file or an image' : ''}
                  value=${field.text}
                  onInput=${(e: Event) => update(input.name, { text: (e.target as HTMLTextAreaElement).value })}
                ></textarea>`
              : html`<input
                  type="file"
                  name=${input.name}
                  accept=${field.mode === 'image' ? 'image/*' : ''}
                  onChange=${(e: Event) => update(input.name, { file: (e.target as HTMLInputElement).files?.[0] ?? null })}
                />`
          }
          ${
            field.mode === 'image' &&
            input.datatype === 'FP32' &&
            html`<label class="inline"
              >Scaling
              <select
                value=${field.scaling}
                onChange=${(e: Event) => update(input.name, { scaling: (e.target as HTMLSelectElement).value as ImageScaling })}
              >
                <option value="inception">INCEPTION (-1..1)</option>
                <option value="unit">0..1</option>
                <option value="none">0..255</option>
              </select></label
            >`
          }
          ${
            field.mode !== 'image' &&
            input.shape.some((d) => d < 0) &&
            html`<label class="inline"
              >Shape
              <input
                class="shape"
                placeholder=${resolveShape(input.shape).join(', ')}
                value=${field.shapeText}
                onInput=${(e: Event) => update(input.name, { shapeText: (e.target as HTMLInputElement).value })}
            /></label>`
          }
          ${field.file && field.mode !== 'json' && field.file.type.startsWith('image/') && html`<${Preview} file=${field.file} />`}
        </fieldset>`;
      })}
      ${
        labelled.size > 0 &&
        html`<fieldset>
          <legend>Outputs</legend>
          ${[...labelled].map(
            (name) =>
              html`<label class="inline"
                ><code>${name}</code> top classes
                <input
                  type="number"
                  min="0"
                  max="1000"
                  value=${classes[name] ?? 0}
                  onInput=${(e: Event) => setClasses((c) => ({ ...c, [name]: Number((e.target as HTMLInputElement).value) }))}
              /></label>`,
          )}
          <span class="muted">0: the raw tensor</span>
        </fieldset>`
      }
      <button type="submit" disabled=${busy} data-testid="run">${busy ? 'Running…' : 'Run'}</button>
    </form>
    ${error && html`<p class="error" data-testid="try-error">${error}</p>`}
    ${result && html`<${ResultView} response=${result} />`}
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
${snippet === 'curl' ? curlSnippet(sent.request) : clientSnippet(sent.request)}</pre>
        ${download && snippet === 'curl' && html`<a href=${download} download="request.bin">Download request.bin</a>`}
      </section>`
    }`;
}

function Preview({ file }: { file: File }) {
  const url = useMemo(() => URL.createObjectURL(file), [file]);
  return html`<img class="preview" src=${url} alt=${file.name} />`;
}
