/**
 * The try-it form's request: the fields of a model's inputs (their modes and first values) and
 * the infer request built from them, as JSON or with Triton's binary tensor extension when an
 * input comes from a file or an image (decoded and converted in the browser).
 */
import {
  binaryInferBody,
  bytesElement,
  imageInputLayout,
  imageToTensor,
  tensorBytes,
  type ImageScaling,
} from '../../src/frontends/console/logic/binary-body.js';
import {
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
import type { ModelConfigJson, ModelMetadata, TensorMetadata } from './types.js';

/** How a field takes its input. */
export type Mode = 'json' | 'file' | 'image';

/** One input's field state. */
export interface Field {
  mode: Mode;
  text: string;
  shapeText: string;
  file: File | null;
  scaling: ImageScaling;
}

const IMAGE_NAME = /image|img|picture|photo|jpe?g|png/i;

/** The image an FP32 / UINT8 input takes (its shape without the batch dim, its config format), or null. */
export function imageTarget(input: TensorMetadata, config: ModelConfigJson) {
  if (input.datatype !== 'FP32' && input.datatype !== 'UINT8') return null;
  const batched = (config.max_batch_size ?? 0) > 0;
  const dims = batched ? input.shape.slice(1) : input.shape;
  if (dims.some((d) => d < 0)) return null;
  const format = config.input?.find((i) => i.name === input.name)?.format;
  return imageInputLayout(dims, format);
}

/** The modes an input offers. */
export function modesOf(input: TensorMetadata, config: ModelConfigJson): Mode[] {
  const modes: Mode[] = ['json'];
  if (input.datatype === 'BYTES') modes.push('file');
  if (imageTarget(input, config)) modes.push('image');
  return modes;
}

/** A field's first state: an example value, and the mode an image input starts in. */
export function initialField(input: TensorMetadata, config: ModelConfigJson): Field {
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

/** A request ready to send, and its description for the snippets. */
export interface BuiltRequest {
  request: SnippetRequest;
  body: Uint8Array | string;
  headers: Record<string, string>;
}

/**
 * Builds the infer request of the form's state; throws an Error naming the input whose field is
 * wrong (no file, bad JSON, wrong count).
 */
export async function buildInferRequest(
  meta: ModelMetadata,
  config: ModelConfigJson,
  fields: Readonly<Record<string, Field>>,
  skipped: ReadonlySet<string>,
  classes: Readonly<Record<string, number>>,
  headerNames: string[],
): Promise<BuiltRequest> {
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
    headers: headerNames,
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
  return { request, body, headers };
}
