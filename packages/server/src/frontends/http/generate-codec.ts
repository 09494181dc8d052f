/**
 * Triton's generate extension (`/generate`, `/generate_stream`): a flat JSON object whose members
 * become input tensors (a member named like a model input) or request parameters (anything else),
 * and responses flattened back into one JSON object of outputs and response parameters.
 *
 * The model config gives each input its datatype and dims, so `{"text_input": "hi", "stream": true}`
 * becomes a BYTES `[1]` and a BOOL `[1]` tensor without the client naming types or shapes.
 */
import {
  decodeElements,
  elementCount,
  encodeElements,
  fromConfigDataType,
  TensorCodecError,
} from '@tensorgate/protocol';
import type { ModelConfig, ModelInputConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';
import { assertJsonLimits } from '../../core/json-limits.js';
import { setOwn } from '../../core/set-own.js';
import type { InferRequest, InferResponse, Parameters, Tensor } from '../../core/types.js';
import { isJsonObject, jsonKind, nonFinitePath, parseJsonBytes, type JsonObject } from './json-fields.js';

/**
 * Sampling settings that, for a model with a `sampling_parameters` input (Triton's vLLM interface and
 * tensorgate's LLM contract), may be given as plain members or `parameters` entries: they are folded
 * into that input's JSON, as Triton's vLLM backend reads them from the request parameters too.
 */
export const SAMPLING_PARAMETER_NAMES: ReadonlySet<string> = new Set([
  'temperature',
  'top_p',
  'top_k',
  'min_p',
  'repetition_penalty',
  'repeat_penalty',
  'seed',
  'max_tokens',
  'stop',
  'ignore_eos',
]);

const SAMPLING_INPUT = 'sampling_parameters';

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap((v) => flatten(v)) : [value];
}

/** The full shape of `count` elements for an input with these dims (one -1 absorbs the count). */
function shapeFor(input: ModelInputConfig, count: number, batching: boolean): number[] {
  const dims = input.dims.length === 0 ? [1] : [...input.dims];
  const variable = dims.filter((d) => d < 0).length;
  if (variable > 0) {
    const fixed = dims.reduce((n, d) => (d < 0 ? n : n * d), 1);
    let first = true;
    for (let i = 0; i < dims.length; i++) {
      if (dims[i]! >= 0) continue;
      dims[i] = first && fixed > 0 ? Math.floor(count / fixed) : 1;
      first = false;
    }
  }
  return batching ? [1, ...dims] : dims;
}

function inputTensor(input: ModelInputConfig, value: unknown, batching: boolean): Tensor {
  const datatype = fromConfigDataType(input.data_type);
  if (datatype === undefined) throw invalidArg(`input '${input.name}' has an unsupported datatype ${input.data_type}`);
  // A JSON object for a BYTES input (e.g. sampling_parameters) is sent as its JSON text.
  const elements =
    datatype === 'BYTES' && isJsonObject(value)
      ? [JSON.stringify(value)]
      : flatten(value).map((v) => (datatype === 'BYTES' && isJsonObject(v) ? JSON.stringify(v) : v));
  let data: Uint8Array;
  try {
    data = encodeElements(datatype, elements);
  } catch (e) {
    if (e instanceof TensorCodecError) throw invalidArg(`input '${input.name}' (${datatype}): ${e.message}`);
    throw e;
  }
  return { name: input.name, datatype, shape: shapeFor(input, elements.length, batching), data };
}

/**
 * Refuses a number that is not finite anywhere in the request (`"max_tokens": 1e400` parses as
 * Infinity, and would reach the model as `null`, its default, or as an infinite parameter).
 */
function refuseNonFinite(value: unknown, prefix: string): void {
  const at = nonFinitePath(value);
  if (at !== undefined) {
    throw invalidArg(
      `the generate request has a number that is not finite at '${prefix}${at}' (a JSON number beyond ±1.8e308 reads as Infinity)`,
    );
  }
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Where the request targets. */
export interface GenerateTarget {
  readonly modelName: string;
  readonly modelVersion: string;
}

/**
 * Decodes a generate request body against the model's config.
 *
 * @example
 * ```ts
 * decodeGenerateRequest(Buffer.from('{"text_input":"hi","parameters":{"stream":false}}'), config, target)
 * // inputs text_input (BYTES [1]) and stream (BOOL [1]); no request parameters
 * ```
 */
export function decodeGenerateRequest(body: Uint8Array, config: ModelConfig, target: GenerateTarget): InferRequest {
  if (body.byteLength === 0) throw invalidArg('the generate request needs a JSON object body');
  const doc = parseJsonBytes(body, 'generate request JSON');
  if (!isJsonObject(doc)) throw invalidArg(`the generate request must be a JSON object, got ${jsonKind(doc)}`);
  refuseNonFinite(doc, '');
  const inputs = new Map(config.input.map((i) => [i.name, i]));
  const batching = config.max_batch_size > 0;
  const tensors = new Map<string, Tensor>();
  const parameters: Parameters = {};
  const sampling: JsonObject = {};
  const hasSampling = inputs.get(SAMPLING_INPUT)?.data_type === 'TYPE_STRING';

  const take = (name: string, value: unknown): void => {
    const input = inputs.get(name);
    if (input !== undefined) {
      if (tensors.has(name)) throw invalidArg(`input '${name}' is given more than once in the request`);
      tensors.set(name, inputTensor(input, value, batching));
    } else if (hasSampling && SAMPLING_PARAMETER_NAMES.has(name)) {
      sampling[name] = value;
    } else if (isScalar(value)) {
      setOwn(parameters, name, value);
    } else {
      throw invalidArg(
        `parameter '${name}' has invalid type: ${jsonKind(value)} (model '${target.modelName}' has no input of that name, ` +
          'and parameters must be strings, numbers or booleans)',
      );
    }
  };
  for (const [name, value] of Object.entries(doc)) {
    if (name === 'parameters' && !inputs.has(name)) continue;
    take(name, value);
  }
  const params = doc['parameters'];
  if (params !== undefined && !inputs.has('parameters')) {
    if (!isJsonObject(params)) throw invalidArg(`'parameters' must be a JSON object, got ${jsonKind(params)}`);
    for (const [name, value] of Object.entries(params)) take(name, value);
  }

  if (Object.keys(sampling).length > 0) {
    const given = tensors.get(SAMPLING_INPUT);
    let explicit: JsonObject = {};
    if (given !== undefined) {
      const text = String(decodeElements('BYTES', given.data)[0]);
      assertJsonLimits(text, `input '${SAMPLING_INPUT}'`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      // Loose settings cannot be merged into text that is not a JSON object.
      if (!isJsonObject(parsed)) {
        throw invalidArg(`input '${SAMPLING_INPUT}' must be a JSON object (as text or as an object)`);
      }
      refuseNonFinite(parsed, `${SAMPLING_INPUT}.`);
      explicit = parsed;
    }
    // Explicit sampling_parameters members win over loose ones.
    tensors.set(SAMPLING_INPUT, inputTensor(inputs.get(SAMPLING_INPUT)!, { ...sampling, ...explicit }, batching));
  }

  return {
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    id: '',
    inputs: [...tensors.values()],
    outputs: [],
    parameters,
  };
}

function outputValue(tensor: Tensor): unknown {
  const values = decodeElements(tensor.datatype, tensor.data);
  // One element reads as a plain value ("text_output": "..."), more as a flat array.
  return elementCount(tensor.shape) === 1 && values.length === 1 ? values[0] : values;
}

/**
 * Encodes one response as the generate extension's JSON object: `model_name`, `model_version`,
 * every output by name, then the response parameters (e.g. `finish_reason`) unless an output
 * already took the name.
 *
 * @example
 * ```ts
 * encodeGenerateResponse(response) // { model_name: 'llm', model_version: '1', text_output: 'Hi', finish_reason: 'stop' }
 * ```
 */
export function encodeGenerateResponse(response: InferResponse): JsonObject {
  const out: JsonObject = { model_name: response.modelName, model_version: response.modelVersion };
  for (const tensor of response.outputs) out[tensor.name] = outputValue(tensor);
  for (const [name, value] of Object.entries(response.parameters)) {
    if (!(name in out)) out[name] = value;
  }
  return out;
}
