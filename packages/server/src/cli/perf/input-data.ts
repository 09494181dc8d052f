/**
 * The inputs `tensorgate perf` sends, built once before the run from the model's metadata:
 * `--input-data random` (seeded, generated once per input, as perf_analyzer does), `zero`, or a
 * perf_analyzer JSON file (`{"data": [{NAME: [values] | {"content": [...] | {"b64": ...},
 * "shape": [...]} | {"b64": ...}}, ...]}`, used round robin). `--shape NAME:dims` fills
 * variable dimensions; `-b` adds the batch dimension for batching models (each JSON entry is one
 * batch-1 item and is repeated). Random and zero data leave optional inputs out, except an LLM's
 * `text_input` (the prompt).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InferInput, type ModelConfig, type ModelMetadata } from '@tensorgate/client';
import { DATATYPES, elementCount, isDataType, type DataType } from '@tensorgate/protocol';
import { LLM_INPUTS, LLM_OUTPUT } from '../../core/llm-contract.js';
import { parseShape, type TensorValues } from '../tools/input-spec.js';
import { seededRandom } from './schedule.js';

/** Options that shape the inputs. */
export interface InputDataOptions {
  /** `random`, `zero`, or a JSON file path. */
  readonly inputData: string;
  readonly batchSize: number;
  /** `NAME:dims` entries from `--shape`. */
  readonly shapes: readonly string[];
  /** BYTES element value (`--string-data`); random strings otherwise. */
  readonly stringData?: string;
  readonly stringLength: number;
  readonly seed: number;
  readonly cwd: string;
}

/** One input's data for a batch-1 item. */
interface ItemTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: number[];
  readonly values?: TensorValues;
  readonly raw?: Uint8Array;
}

/** Parses `--shape` entries into a map. */
export function parseShapeOptions(shapes: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of shapes) {
    const at = s.lastIndexOf(':');
    if (at <= 0) throw new Error(`--shape ${s}: expected NAME:dims, e.g. INPUT0:1,16`);
    out.set(s.slice(0, at), parseShape(s.slice(at + 1)));
  }
  return out;
}

/**
 * Builds the request input sets (one per JSON entry, or one for random/zero).
 *
 * @example
 * ```ts
 * const sets = buildInputSets(metadata, config, { inputData: 'random', batchSize: 1, shapes: [], stringLength: 16, seed: 1, cwd });
 * ```
 */
export function buildInputSets(meta: ModelMetadata, config: ModelConfig, opts: InputDataOptions): InferInput[][] {
  const maxBatch = Number(config.max_batch_size ?? 0);
  const batching = maxBatch > 0;
  if (!batching && opts.batchSize > 1) throw new Error(`model ${meta.name} does not batch; -b must be 1`);
  if (batching && opts.batchSize > maxBatch) {
    throw new Error(`-b ${opts.batchSize} exceeds the model's max_batch_size ${maxBatch}`);
  }
  const shapes = parseShapeOptions(opts.shapes);
  for (const name of shapes.keys()) {
    if (!meta.inputs.some((i) => i.name === name))
      throw new Error(`--shape names ${name}, which is not an input of ${meta.name}`);
  }
  const itemShape = (name: string, declared: readonly number[]): number[] => {
    const dims = batching ? declared.slice(1) : [...declared];
    const given = shapes.get(name);
    if (given) {
      if (given.length !== dims.length || given.some((d, i) => dims[i]! >= 0 && dims[i] !== d)) {
        throw new Error(`--shape ${name}:${given.join(',')} does not fit the model's [${dims.join(',')}]`);
      }
      return given;
    }
    if (dims.some((d) => d < 0)) {
      throw new Error(`input ${name} has variable dimensions [${dims.join(',')}]; give --shape ${name}:dims`);
    }
    return dims;
  };
  const optional = new Set(
    ((config.input ?? []) as Array<{ name?: string; optional?: boolean }>)
      .filter((i) => i.optional === true)
      .map((i) => i.name),
  );
  const inputs = meta.inputs.map((i) => {
    if (!isDataType(i.datatype)) throw new Error(`input ${i.name} has unknown datatype ${i.datatype}`);
    return { name: i.name, datatype: i.datatype, shape: itemShape(i.name, i.shape), optional: optional.has(i.name) };
  });
  let items: ItemTensor[][];
  if (opts.inputData === 'random' || opts.inputData === 'zero') {
    const rnd = seededRandom(opts.seed);
    // Optional inputs (config `optional: true`) are left out of synthetic data: random bytes in an
    // optional control input (an LLM's chat_messages JSON, sampling_parameters) only make requests
    // fail. A JSON data file sends them.
    // An LLM (the contract's text_input/text_output, decoupled) gets a prompt in text_input, which is
    // optional there only because chat_messages may replace it.
    const llm = isLlmContract(config);
    items = [
      inputs
        .filter((i) => !i.optional || (llm && i.name === LLM_INPUTS.text))
        .map((i) => ({ ...i, values: synthetic(i.datatype, elementCount(i.shape), opts, rnd) })),
    ];
  } else {
    items = readJsonData(resolve(opts.cwd, opts.inputData), inputs);
  }
  return items.map((set) => set.map((t) => toInferInput(t, batching ? opts.batchSize : 0)));
}

/** Whether the config is the LLM contract's (the client-side view of core's isLlmModelConfig). */
function isLlmContract(config: ModelConfig): boolean {
  const io = (list: unknown): Array<{ name?: unknown; data_type?: unknown }> =>
    Array.isArray(list) ? (list as Array<{ name?: unknown; data_type?: unknown }>) : [];
  const policy = config.model_transaction_policy as { decoupled?: unknown } | undefined;
  return (
    policy?.decoupled === true &&
    io(config.input).some((i) => i.name === LLM_INPUTS.text && i.data_type === 'TYPE_STRING') &&
    io(config.output).some((o) => o.name === LLM_OUTPUT && o.data_type === 'TYPE_STRING')
  );
}

function synthetic(datatype: DataType, n: number, opts: InputDataOptions, rnd: () => number): TensorValues {
  const zero = opts.inputData === 'zero';
  if (datatype === 'BYTES') {
    return Array.from({ length: n }, () => opts.stringData ?? (zero ? '0' : randomString(opts.stringLength, rnd)));
  }
  if (datatype === 'BOOL') return Array.from({ length: n }, () => !zero && rnd() < 0.5);
  if (datatype === 'FP16' || datatype === 'BF16' || datatype === 'FP32' || datatype === 'FP64') {
    return Array.from({ length: n }, () => (zero ? 0 : rnd()));
  }
  // Small non-negative integers: valid for every integer type, and harmless as counts or delays.
  if (datatype === 'INT64' || datatype === 'UINT64') {
    return Array.from({ length: n }, () => BigInt(zero ? 0 : Math.floor(rnd() * 100)));
  }
  return Array.from({ length: n }, () => (zero ? 0 : Math.floor(rnd() * 100)));
}

function randomString(length: number, rnd: () => number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < length; i++) s += chars[Math.floor(rnd() * chars.length)];
  return s;
}

function readJsonData(
  path: string,
  inputs: readonly { name: string; datatype: DataType; shape: number[]; optional: boolean }[],
): ItemTensor[][] {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { data?: unknown };
  if (!Array.isArray(json.data) || json.data.length === 0) throw new Error(`${path}: expected {"data": [ ... ]}`);
  // Sequence streams (arrays of entries) are flattened: tensorgate perf sends no sequences.
  const entries = (json.data as unknown[]).flat(1) as Record<string, unknown>[];
  // An optional input (config `optional: true`) may be left out of an entry: it is then not sent.
  return entries.map((entry, e) =>
    inputs.flatMap((input) => {
      const v = entry[input.name];
      if (v === undefined) {
        if (input.optional) return [];
        throw new Error(`${path}: data[${e}] lacks input ${input.name}`);
      }
      return [jsonTensor(v, input, `${path}: data[${e}].${input.name}`)];
    }),
  );
}

function jsonTensor(
  v: unknown,
  input: { name: string; datatype: DataType; shape: number[] },
  where: string,
): ItemTensor {
  let content: unknown = v;
  let shape = input.shape;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'content' in v) {
    const o = v as { content: unknown; shape?: unknown };
    content = o.content;
    if (Array.isArray(o.shape)) shape = o.shape.map(Number);
  }
  if (typeof content === 'object' && content !== null && 'b64' in content) {
    const raw = new Uint8Array(Buffer.from(String((content as { b64: unknown }).b64), 'base64'));
    const size = DATATYPES[input.datatype].byteSize;
    if (size > 0 && raw.length !== size * elementCount(shape)) {
      throw new Error(`${where}: ${raw.length} bytes do not fit shape [${shape.join(',')}]`);
    }
    return { name: input.name, datatype: input.datatype, shape, raw };
  }
  if (!Array.isArray(content)) throw new Error(`${where}: expected an array, {"content": ...} or {"b64": ...}`);
  const values = (content as unknown[]).flat(Infinity) as (number | boolean | string)[];
  if (values.length !== elementCount(shape)) {
    throw new Error(`${where}: ${values.length} values do not fit shape [${shape.join(',')}]`);
  }
  return { name: input.name, datatype: input.datatype, shape, values };
}

/** Builds the InferInput, repeating the item `batch` times along a new first dimension (0 = no batch dim). */
function toInferInput(t: ItemTensor, batch: number): InferInput {
  const shape = batch > 0 ? [batch, ...t.shape] : t.shape;
  const input = new InferInput(t.name, shape, t.datatype);
  const copies = Math.max(1, batch);
  if (t.raw) {
    const raw = new Uint8Array(t.raw.length * copies);
    for (let i = 0; i < copies; i++) raw.set(t.raw, i * t.raw.length);
    return input.setRaw(raw);
  }
  const values = (t.values ?? []) as ArrayLike<unknown>;
  if (copies === 1) return input.setData(t.values ?? []);
  // An element-wise copy: spreading a 150k-value image into push() overflows the call stack.
  const all = new Array<unknown>(values.length * copies);
  for (let i = 0; i < copies; i++) for (let j = 0; j < values.length; j++) all[i * values.length + j] = values[j];
  return input.setData(all as TensorValues);
}
