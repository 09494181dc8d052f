/**
 * Config `model_warmup`: sample requests every instance executes after it loads and before the
 * version reports READY, so the first client request does not pay for lazy initialization
 * (ONNX Runtime's first `run` allocates and plans; JIT-compiled JS warms up).
 *
 * Semantics follow Triton's: a sample of `batch_size` N becomes N requests of batch 1 executed
 * together in one execution (batch 0 samples are skipped); `count` repeats the sample (0 = once);
 * each input is `zero_data`, `random_data` (zeros for strings) or `input_data_file` read from
 * `<model>/warmup/`. Unlike Triton, a failing sample fails the load with the sample's name and the
 * model's error: a model that cannot answer its own warmup is not ready.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byteSizeOf, elementCount, fromConfigDataType, type DataType } from '@tensorgate/protocol';
import type { BackendModel, BackendResponse, ExecutionRequest, ResponseSender } from '../../backend-api/backend.js';
import { resolveConfinedPath } from '../../backend-api/confined-path.js';
import type { ModelConfig } from '../config/model-config.js';
import { stateSpecsOf } from '../config/sequence-states.js';
import { InferenceError, invalidArg } from '../errors.js';
import { reshapeTo } from '../reshape.js';
import type { Tensor } from '../types.js';

/** Folder under the model directory that holds `input_data_file` files (Triton's name). */
export const WARMUP_DATA_FOLDER = 'warmup';

/** One warmup sample, ready to execute: `batchSize` requests' inputs, repeated `count` times. */
export interface WarmupSample {
  readonly name: string;
  /** Inputs of one request (batch 1 when the model batches). */
  readonly inputs: readonly Tensor[];
  readonly batchSize: number;
  readonly count: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : 0);

/** A deterministic xorshift32 stream for `random_data` (repeatable warmups; no crypto needed). */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Random bytes that are valid elements: finite floats stay finite, bools stay 0/1. */
function randomData(datatype: DataType, count: number, seed: number): Uint8Array {
  const size = byteSizeOf(datatype, [count]) ?? 0;
  if (datatype === 'BOOL') return randomBytes(count, seed).map((b) => b & 1);
  if (datatype === 'FP32' || datatype === 'FP64') {
    const floats = datatype === 'FP32' ? new Float32Array(count) : new Float64Array(count);
    const bytes = randomBytes(count, seed);
    for (let i = 0; i < count; i++) floats[i] = bytes[i]! / 255;
    return new Uint8Array(floats.buffer);
  }
  if (datatype === 'FP16' || datatype === 'BF16') {
    // Small positive values: exponent bits set so every pattern is a finite number in [0.5, 1).
    const halves = new Uint16Array(count);
    const bytes = randomBytes(count, seed);
    for (let i = 0; i < count; i++) halves[i] = (datatype === 'FP16' ? 0x3800 : 0x3f00) | bytes[i]!;
    return new Uint8Array(halves.buffer);
  }
  return randomBytes(size, seed);
}

/**
 * Reads an `input_data_file`: relative to `<model>/warmup`, and like every file a config names,
 * refused when it resolves outside the model folder (see {@link resolveConfinedPath}).
 */
async function readDataFile(modelPath: string, file: string, where: string, input: string): Promise<Uint8Array> {
  const { path } = await resolveConfinedPath(file, {
    modelPath,
    base: join(modelPath, WARMUP_DATA_FOLDER),
    field: 'input_data_file',
    owner: `${where} input '${input}'`,
  });
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw invalidArg(`${where}: cannot read input_data_file '${path}': ${(e as Error).message}`);
  }
}

/**
 * Builds the samples of `config.model_warmup`, validating them against the config.
 *
 * @example
 * ```ts
 * const samples = await buildWarmupSamples(config, '/models/lstm');
 * ```
 */
export async function buildWarmupSamples(config: ModelConfig, modelPath: string): Promise<WarmupSample[]> {
  const batching = config.max_batch_size > 0;
  const samples: WarmupSample[] = [];
  for (const [index, raw] of config.model_warmup.entries()) {
    const name = typeof raw['name'] === 'string' && raw['name'] ? raw['name'] : `#${index}`;
    const where = `model '${config.name}' warmup sample '${name}'`;
    const batchSize = num(raw['batch_size']);
    if (batchSize === 0) continue;
    if (!batching && batchSize !== 1)
      throw invalidArg(`${where}: batch_size must be 1 for a model that does not batch`);
    if (batching && batchSize > config.max_batch_size)
      throw invalidArg(`${where}: batch_size ${batchSize} exceeds max_batch_size ${config.max_batch_size}`);
    const specs = isObj(raw['inputs']) ? raw['inputs'] : {};
    const inputs: Tensor[] = [];
    for (const [inputName, spec] of Object.entries(specs)) {
      const cfg = config.input.find((i) => i.name === inputName);
      if (!cfg) throw invalidArg(`${where}: the model has no input '${inputName}'`);
      if (!isObj(spec)) throw invalidArg(`${where}: input '${inputName}' has no settings`);
      // Normalization fills an absent data_type with TYPE_INVALID: both mean "the input's own type".
      const given = spec['data_type'];
      const configType = typeof given === 'string' && given !== 'TYPE_INVALID' ? given : cfg.data_type;
      if (configType !== cfg.data_type)
        throw invalidArg(`${where}: input '${inputName}' is ${configType} but the model expects ${cfg.data_type}`);
      const datatype = fromConfigDataType(configType) as DataType;
      const dims = Array.isArray(spec['dims']) ? spec['dims'].map(num) : [];
      if (dims.some((d) => d < 0))
        throw invalidArg(
          `${where}: input '${inputName}' must give every variable-size dimension (dims ${JSON.stringify(dims)})`,
        );
      const count = elementCount(dims);
      let data: Uint8Array;
      if (spec['input_data_file']) {
        data = await readDataFile(modelPath, String(spec['input_data_file']), where, inputName);
        const expected = byteSizeOf(datatype, dims);
        if (expected !== undefined && data.byteLength < expected)
          throw invalidArg(
            `${where}: input '${inputName}' needs ${expected} bytes but its data file has ${data.byteLength}`,
          );
        if (expected !== undefined) data = data.subarray(0, expected);
      } else if (spec['random_data'] && datatype !== 'BYTES') {
        data = randomData(datatype, count, index * 7919 + inputs.length + 1);
      } else if (spec['zero_data'] || spec['random_data']) {
        // Zero bytes: numbers are 0, and BYTES elements are empty (a 4-byte zero length each).
        data = new Uint8Array(datatype === 'BYTES' ? count * 4 : (byteSizeOf(datatype, dims) ?? 0));
      } else {
        throw invalidArg(`${where}: input '${inputName}' needs zero_data, random_data or input_data_file`);
      }
      const tensor: Tensor = { name: inputName, datatype, shape: batching ? [1, ...dims] : dims, data };
      inputs.push(cfg.reshape ? reshapeTo(tensor, cfg.reshape.shape, batching) : tensor);
    }
    const missing = config.input.filter((i) => !i.optional && !inputs.some((t) => t.name === i.name));
    if (missing.length > 0)
      throw invalidArg(`${where}: no data for input(s) ${missing.map((i) => `'${i.name}'`).join(', ')}`);
    samples.push({ name, inputs, batchSize, count: Math.max(1, num(raw['count'])) });
  }
  return samples;
}

/** Collects the first error a warmup request answers with. */
class WarmupSender implements ResponseSender {
  error: InferenceError | undefined;
  send(response: BackendResponse | undefined): void {
    if (response?.error && !this.error) this.error = response.error;
  }
}

/**
 * Runs every sample on every instance of `model`; throws INVALID_ARG naming the sample when the
 * model fails one.
 *
 * @example
 * ```ts
 * await warmUp(model, config, await buildWarmupSamples(config, modelPath));
 * ```
 */
export async function warmUp(
  model: BackendModel,
  config: ModelConfig,
  samples: readonly WarmupSample[],
  stateInputs: readonly Tensor[] = [],
): Promise<void> {
  if (samples.length === 0) return;
  // A model with implicit state gets its states' initial values, as a sequence's START request
  // does; its state outputs are produced and dropped with the rest.
  const outputs = [...config.output.map((o) => o.name), ...stateSpecsOf(config).map((s) => s.outputName)];
  const extra = (): Tensor[] => stateInputs.map((t) => ({ ...t, data: t.data.slice() }));
  const signal = new AbortController().signal;
  await Promise.all(
    model.instances.map(async (instance) => {
      for (const sample of samples) {
        for (let iteration = 0; iteration < sample.count; iteration++) {
          const senders = Array.from({ length: sample.batchSize }, () => new WarmupSender());
          const batch: ExecutionRequest[] = senders.map((sender, i) => ({
            id: `warmup_${sample.name}_${i}`,
            // Each request gets its own copy: a backend may take (transfer) the buffers.
            inputs: [...sample.inputs.map((t) => ({ ...t, data: t.data.slice() })), ...extra()],
            requestedOutputs: outputs,
            parameters: {},
            batchSize: 1,
            sender,
            signal,
            inputBuffersOwned: true,
          }));
          try {
            await instance.execute(batch);
          } catch (e) {
            senders[0]!.error ??= InferenceError.from(e);
          }
          const failed = senders.find((s) => s.error);
          if (failed?.error) {
            throw invalidArg(
              `model '${config.name}' failed warmup sample '${sample.name}' on instance ${instance.name}: ${failed.error.message}`,
            );
          }
        }
      }
    }),
  );
}
