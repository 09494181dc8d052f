/**
 * Validates a decoded request against a model's config: input names, datatypes, shapes (batch
 * dimension and -1 wildcards), byte sizes, BYTES framing, requested outputs and the reserved
 * parameters. One implementation for every protocol; messages follow Triton's wording where
 * clients or users may match on it.
 */
import {
  DATATYPES,
  countBytesElements,
  elementCount,
  fromConfigDataType,
  TensorCodecError,
} from '@tensorgate/protocol';
import type { ModelConfig, ModelInputConfig } from './config/model-config.js';
import { invalidArg, type InferenceError } from './errors.js';
import type { InferRequest, Tensor } from './types.js';
import { reshapeTo } from './reshape.js';
import { hasKeys } from './has-keys.js';

/** What validation produces for the backend. */
export interface ValidatedRequest {
  /** Inputs with the shapes the model sees (config reshape applied). */
  inputs: Tensor[];
  /** Outputs requested with the classification extension: output name → top-N. */
  classification?: ReadonlyMap<string, number>;
  /** Outputs to produce, never empty. */
  requestedOutputs: string[];
  /** Leading batch dimension, 1 when the model does not batch. */
  batchSize: number;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

function shapeMatches(actual: readonly number[], expected: readonly number[]): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== -1 && expected[i] !== actual[i]) return false;
  }
  return true;
}

function checkIntParameter(p: InferRequest['parameters'], key: string, min: number, model: string): void {
  const v = p[key];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw invalidArg(
      `parameter '${key}' of a request for model '${model}' must be an integer >= ${min}, got ${JSON.stringify(v)}`,
    );
  }
}

function checkParameters(req: InferRequest, model: string): void {
  const p = req.parameters;
  if (!hasKeys(p)) return;
  checkIntParameter(p, 'priority', 0, model);
  checkIntParameter(p, 'timeout', 0, model);
  for (const key of ['sequence_start', 'sequence_end'] as const) {
    const v = p[key];
    if (v !== undefined && typeof v !== 'boolean') {
      throw invalidArg(
        `parameter '${key}' of a request for model '${model}' must be a boolean, got ${JSON.stringify(v)}`,
      );
    }
  }
  const seq = p['sequence_id'];
  if (seq !== undefined && typeof seq !== 'string' && !(typeof seq === 'number' && Number.isInteger(seq) && seq >= 0)) {
    throw invalidArg(
      `parameter 'sequence_id' of a request for model '${model}' must be a non-negative integer or a string`,
    );
  }
}

/**
 * What validation needs of a config, computed once per config object (configs are immutable once
 * a version is loaded) instead of per request.
 */
interface CompiledConfig {
  readonly byName: ReadonlyMap<string, ModelInputConfig>;
  /** Per input: the full expected shape (with -1 for the batch dimension when batching). */
  readonly expected: ReadonlyMap<string, readonly number[]>;
  readonly required: number;
  readonly allOutputs: readonly string[];
}

const compiled = new WeakMap<ModelConfig, CompiledConfig>();

function compile(config: ModelConfig): CompiledConfig {
  let c = compiled.get(config);
  if (c === undefined) {
    const batching = config.max_batch_size > 0;
    c = {
      byName: new Map(config.input.map((i) => [i.name, i])),
      expected: new Map(config.input.map((i) => [i.name, batching ? [-1, ...i.dims] : i.dims])),
      required: config.input.filter((i) => !i.optional).length,
      allOutputs: config.output.map((o) => o.name),
    };
    compiled.set(config, c);
  }
  return c;
}

function checkInput(
  t: Tensor,
  cfg: ModelInputConfig,
  config: ModelConfig,
  expected: readonly number[],
): number | undefined {
  const model = config.name;
  const expectedType = fromConfigDataType(cfg.data_type);
  if (t.datatype !== expectedType) {
    throw invalidArg(
      `inference input '${t.name}' data-type is '${t.datatype}', but model '${model}' expects '${expectedType ?? cfg.data_type}'`,
    );
  }
  for (const d of t.shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw invalidArg(
        `inference input '${t.name}' for model '${model}' has an invalid shape ${fmt(t.shape)}: dims must be non-negative integers`,
      );
    }
  }
  const batching = config.max_batch_size > 0;
  if (!shapeMatches(t.shape, expected)) {
    throw invalidArg(
      `unexpected shape for input '${t.name}' for model '${model}'. Expected ${fmt(expected)}, got ${fmt(t.shape)}`,
    );
  }
  let batch: number | undefined;
  if (batching) {
    batch = t.shape[0]!;
    if (batch < 1 || batch > config.max_batch_size) {
      throw invalidArg(
        `inference request batch-size must be <= ${config.max_batch_size} for '${model}'` +
          (batch < 1 ? ` and >= 1, got ${batch}` : `, got ${batch}`),
      );
    }
  }
  const count = elementCount(t.shape);
  const size = DATATYPES[t.datatype].byteSize;
  if (size > 0) {
    if (t.data.byteLength !== count * size) {
      throw invalidArg(
        `input byte size mismatch for input '${t.name}' for model '${model}'. Expected ${count * size}, got ${t.data.byteLength}`,
      );
    }
  } else {
    let n: number;
    try {
      n = countBytesElements(t.data);
    } catch (e) {
      const why = e instanceof TensorCodecError ? e.message : String(e);
      throw invalidArg(`input '${t.name}' for model '${model}' has malformed BYTES data: ${why}`);
    }
    if (n !== count) {
      throw invalidArg(
        `expected ${count} string elements for inference input '${t.name}' for model '${model}', got ${n}`,
      );
    }
  }
  return batch;
}

/** Applies a config `reshape` to the shape the model receives. */
function reshaped(t: Tensor, cfg: ModelInputConfig, batching: boolean): Tensor {
  return cfg.reshape ? reshapeTo(t, cfg.reshape.shape, batching) : t;
}

/** The error for an input the config does not list; a sequence control input gets its own. */
function unexpectedInput(name: string, config: ModelConfig): InferenceError {
  const controls = config.sequence_batching?.['control_input'];
  if (Array.isArray(controls) && controls.some((c: unknown) => (c as { name?: unknown })?.name === name)) {
    return invalidArg(
      `input '${name}' of a request for model '${config.name}' is a sequence control input: ` +
        'the sequence batcher sets it, the client must not send it',
    );
  }
  return invalidArg(`unexpected inference input '${name}' for model '${config.name}'`);
}

/**
 * Validates `req` against `config`. Throws INVALID_ARG with a precise message on the first problem.
 */
export function validateRequest(req: InferRequest, config: ModelConfig): ValidatedRequest {
  const model = config.name;
  checkParameters(req, model);
  const c = compile(config);
  const given = req.inputs;
  const inputs: Tensor[] = new Array<Tensor>(given.length);
  let batchSize: number | undefined;
  let requiredSeen = 0;
  for (let i = 0; i < given.length; i++) {
    const t = given[i]!;
    const cfg = c.byName.get(t.name);
    if (!cfg) throw unexpectedInput(t.name, config);
    for (let j = 0; j < i; j++) {
      if (given[j]!.name === t.name)
        throw invalidArg(`input '${t.name}' appears more than once in a request for model '${model}'`);
    }
    if (!cfg.optional) requiredSeen++;
    const b = checkInput(t, cfg, config, c.expected.get(t.name)!);
    if (b !== undefined) {
      if (batchSize !== undefined && b !== batchSize) {
        throw invalidArg(
          `inputs of a request for model '${model}' must have equal batch size: '${t.name}' has ${b}, others ${batchSize}`,
        );
      }
      batchSize = b;
    }
    inputs[i] = reshaped(t, cfg, config.max_batch_size > 0);
  }
  if (requiredSeen < c.required) {
    const seen = new Set(given.map((t) => t.name));
    const missing = config.input.filter((i) => !i.optional && !seen.has(i.name)).map((i) => i.name);
    throw invalidArg(
      `expected ${c.required} inputs but got ${req.inputs.length} inputs for model '${model}'. ` +
        `Got input(s) [${[...seen].map((n) => `'${n}'`).join(', ')}], but missing required input(s) ` +
        `[${missing.map((n) => `'${n}'`).join(', ')}]. Please provide all required input(s).`,
    );
  }
  const requestedOutputs: string[] = [];
  let classification: Map<string, number> | undefined;
  for (const o of req.outputs) {
    const cfg = config.output.find((c) => c.name === o.name);
    if (!cfg) throw invalidArg(`unexpected inference output '${o.name}' for model '${model}'`);
    if (requestedOutputs.includes(o.name))
      throw invalidArg(`output '${o.name}' is requested more than once for model '${model}'`);
    const cls = o.parameters['classification'];
    if (cls !== undefined) {
      if (typeof cls !== 'number' || !Number.isInteger(cls) || cls < 1) {
        throw invalidArg(
          `output parameter 'classification' for '${o.name}' must be a positive integer, got ${JSON.stringify(cls)}`,
        );
      }
      if (cfg.data_type === 'TYPE_STRING') {
        throw invalidArg(
          `classification is not supported for output '${o.name}' of model '${model}': it holds strings, not scores`,
        );
      }
      (classification ??= new Map()).set(o.name, cls);
    }
    requestedOutputs.push(o.name);
  }
  const validated: ValidatedRequest = {
    inputs,
    requestedOutputs: requestedOutputs.length > 0 ? requestedOutputs : c.allOutputs.slice(),
    batchSize: batchSize ?? 1,
  };
  if (classification) validated.classification = classification;
  return validated;
}
