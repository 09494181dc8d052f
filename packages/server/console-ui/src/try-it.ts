/**
 * The try-it form of a model, generated from its metadata and config: one field per input
 * (numbers and strings as JSON; a file for a one-element BYTES input; an image, resized and
 * converted in the browser, for an FP32 / UINT8 input shaped like one), top-N classes for outputs
 * with labels; the response as classification tables, images or tensors; and the request as curl
 * and `@tensorgate/client` code.
 */
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import {
  binaryInferBody,
  bytesElement,
  imageInputLayout,
  imageToTensor,
  tensorBytes,
  type ImageScaling,
} from '../../src/frontends/console/logic/binary-body.js';
import {
  curlSnippet,
  clientSnippet,
  jsonInferBody,
  requestedOutputs,
  type SnippetInput,
  type SnippetRequest,
} from '../../src/frontends/console/logic/snippets.js';
import {
  elementCount,
  exampleText,
  parseTensorText,
  resolveShape,
} from '../../src/frontends/console/logic/tensor-form.js';
import { modelPath, type Api } from './api.js';
import { ResultView } from './result-view.js';
import type { InferResponse, ModelConfigJson, ModelMetadata, TensorMetadata } from './types.js';

type Mode = 'json' | 'file' | 'image';

interface Field {
  mode: Mode;
  text: string;
  shapeText: string;
  file: File | null;
  scaling: ImageScaling;
}

const IMAGE_NAME = /image|img|picture|photo|jpe?g|png/i;

function imageTarget(input: TensorMetadata, config: ModelConfigJson) {
  if (input.datatype !== 'FP32' && input.datatype !== 'UINT8') return null;
  const batched = (config.max_batch_size ?? 0) > 0;
  const dims = batched ? input.shape.slice(1) : input.shape;
  if (dims.some((d) => d < 0)) return null;
  const format = config.input?.find((i) => i.name === input.name)?.format;
  return imageInputLayout(dims, format);
}

function modesOf(input: TensorMetadata, config: ModelConfigJson): Mode[] {
  const modes: Mode[] = ['json'];
  if (input.datatype === 'BYTES') modes.push('file');
  if (imageTarget(input, config)) modes.push('image');
  return modes;
}

function initialField(input: TensorMetadata, config: ModelConfigJson): Field {
  const modes = modesOf(input, config);
  const shape = resolveShape(input.shape);
  const example = exampleText(input.datatype, shape);
  const mode: Mode = modes.includes('image')
    ? 'image'
    : modes.includes('file') && IMAGE_NAME.test(input.name) && elementCount(shape) === 1
      ? 'file'
      : 'json';
  return { mode, text: example ?? '', shapeText: '', file: null, scaling: 'inception' };
}

/** Decodes an image file and returns its RGBA pixels stretched to width × height. */
async function imagePixels(file: File, width: number, height: number): Promise<Uint8ClampedArray> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

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
      const inputs: SnippetInput[] = [];
      const sections: Uint8Array[] = [];
      const header: Array<Record<string, unknown>> = [];
      for (const input of meta.inputs) {
        if (skipped.has(input.name)) continue;
        const field = fields[input.name]!;
        const where = `input ${input.name}: `;
        try {
          if (field.mode === 'image') {
            const target = imageTarget(input, config)!;
            if (field.file === null) throw new Error('choose an image');
            const rgba = await imagePixels(field.file, target.width, target.height);
            const tensor = imageToTensor(rgba, target, input.datatype as 'FP32' | 'UINT8', field.scaling);
            const shape = (config.max_batch_size ?? 0) > 0 ? [1, ...input.shape.slice(1)] : [...input.shape];
            const bytes = tensorBytes(tensor);
            sections.push(bytes);
            header.push({
              name: input.name,
              shape,
              datatype: input.datatype,
              parameters: { binary_data_size: bytes.length },
            });
            inputs.push({
              name: input.name,
              shape,
              datatype: input.datatype,
              image: {
                file: field.file.name,
                description: `${field.file.name} as ${target.layout} ${target.width}x${target.height}, ${input.datatype === 'UINT8' ? '0..255' : `scaling ${field.scaling}`}`,
              },
            });
          } else if (field.mode === 'file') {
            if (field.file === null) throw new Error('choose a file');
            const shape = resolveShape(input.shape, field.shapeText);
            if (elementCount(shape) !== 1)
              throw new Error(`a file fills one element; shape [${shape.join(', ')}] holds ${elementCount(shape)}`);
            const bytes = bytesElement(new Uint8Array(await field.file.arrayBuffer()));
            sections.push(bytes);
            header.push({ name: input.name, shape, datatype: 'BYTES', parameters: { binary_data_size: bytes.length } });
            inputs.push({ name: input.name, shape, datatype: 'BYTES', file: field.file.name });
          } else {
            const shape = resolveShape(input.shape, field.shapeText);
            const data = parseTensorText(field.text, input.datatype, shape);
            header.push({ name: input.name, shape, datatype: input.datatype, data });
            inputs.push({ name: input.name, shape, datatype: input.datatype, data });
          }
        } catch (err) {
          throw new Error(where + (err as Error).message);
        }
      }
      const request: SnippetRequest = {
        baseUrl: location.origin,
        model: meta.name,
        version: '',
        inputs,
        outputs: meta.outputs.map((o) => o.name),
        classCount: Object.fromEntries(Object.entries(classes).filter(([, n]) => n > 0)),
        headers: api.headerNames(),
      };
      let body: Uint8Array | string;
      const headers: Record<string, string> = {};
      if (sections.length > 0) {
        const outputs = requestedOutputs(request);
        const built = binaryInferBody({ inputs: header, ...(outputs ? { outputs } : {}) }, sections);
        body = built.body;
        request.binaryHeaderLength = built.headerLength;
        headers['Content-Type'] = 'application/octet-stream';
        headers['Inference-Header-Content-Length'] = String(built.headerLength);
      } else {
        body = JSON.stringify(jsonInferBody(request));
        headers['Content-Type'] = 'application/json';
      }
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
