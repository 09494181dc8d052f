/**
 * Main-thread checks of what a JS model answered, against the model config, before anything
 * reaches a client. User code is untrusted: a wrong datatype, a shape that does not match the
 * bytes or broken BYTES framing must become a clean INTERNAL error for that one request, never a
 * garbled response.
 */
import {
  TensorCodecError,
  byteSizeOf,
  countBytesElements,
  elementCount,
  fromConfigDataType,
  isDataType,
  type DataType,
} from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { stateSpecsOf } from '../../core/config/sequence-states.js';
import { InferenceError } from '../../core/errors.js';
import type { Tensor } from '../../core/types.js';
import type { WireTensor } from './worker-messages.js';

const isDim = (d: unknown): boolean => Number.isSafeInteger(d) && (d as number) >= 0;

interface OutputRule {
  readonly datatype: DataType | undefined;
  /** Dims the model produces (without batch dim): `reshape.shape` when reshaped, else `dims`. */
  readonly dims: readonly number[];
}

/** Checks model outputs of one model; built once per loaded model. */
export class OutputValidator {
  private readonly rules = new Map<string, OutputRule>();
  private readonly batching: boolean;

  constructor(private readonly config: ModelConfig) {
    this.batching = config.max_batch_size > 0;
    for (const o of config.output) {
      this.rules.set(o.name, {
        datatype: fromConfigDataType(o.data_type),
        // With a config reshape the model produces reshape.shape; the core maps it to `dims`
        // afterwards, so a shape that is not checked here would reach the client mislabelled.
        dims: o.reshape ? o.reshape.shape : o.dims,
      });
    }
    // Implicit states: the sequence batcher requests each state output (which the config's output
    // list need not name) and keeps it as the sequence's next state.
    for (const s of stateSpecsOf(config)) {
      if (!this.rules.has(s.outputName)) this.rules.set(s.outputName, { datatype: s.datatype, dims: s.dims });
    }
  }

  /**
   * Validates the outputs of one response and keeps those the client requested.
   *
   * @throws InferenceError INTERNAL naming the model, the output and the problem
   */
  validate(outputs: readonly WireTensor[], requested: readonly string[], batchSize: number): Tensor[] {
    // Plain loops over the (few) names instead of Sets: this runs for every response.
    const result: Tensor[] = [];
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs[i]!;
      for (let j = 0; j < i; j++) {
        if (outputs[j]!.name === out.name) this.fail(out.name, 'it appears twice in the response');
      }
      this.check(out, batchSize);
      if (requested.includes(out.name))
        result.push({ name: out.name, datatype: out.datatype, shape: out.shape, data: out.data });
    }
    return result;
  }

  private fail(name: string, problem: string): never {
    throw new InferenceError(
      'INTERNAL',
      `model '${this.config.name}' returned an invalid output '${name}': ${problem}`,
    );
  }

  private check(out: WireTensor, batchSize: number): void {
    const { name, datatype, shape, data } = out;
    const rule = this.rules.get(name);
    if (!rule) {
      throw new InferenceError(
        'INTERNAL',
        `model '${this.config.name}' returned an output '${name}' that is not in its config`,
      );
    }
    if (!isDataType(datatype) || datatype !== rule.datatype) {
      this.fail(name, `datatype ${String(datatype)} does not match the config (${rule.datatype ?? 'unknown'})`);
    }
    if (!Array.isArray(shape) || !shape.every(isDim)) {
      this.fail(name, `shape [${String(shape)}] must be a list of non-negative integers`);
    }
    if (!(data instanceof Uint8Array)) this.fail(name, 'data is not raw bytes');
    const count = elementCount(shape);
    if (datatype === 'BYTES') {
      let n: number;
      try {
        n = countBytesElements(data);
      } catch (err) {
        if (err instanceof TensorCodecError) this.fail(name, err.message);
        throw err;
      }
      if (n !== count) this.fail(name, `shape [${shape.join(',')}] has ${count} element(s) but the data holds ${n}`);
    } else {
      const expected = byteSizeOf(datatype, shape)!;
      if (expected !== data.byteLength) {
        this.fail(
          name,
          `shape [${shape.join(',')}] needs ${expected} byte(s) of ${datatype} but the data has ${data.byteLength}`,
        );
      }
    }
    this.checkDims(name, shape, rule.dims, batchSize);
  }

  private checkDims(name: string, shape: readonly number[], dims: readonly number[], batchSize: number): void {
    // Messages are built only on failure: this runs for every output of every response.
    const lead = this.batching ? 1 : 0;
    const mismatch = (): never => {
      const text = `[${(this.batching ? ['batch', ...dims] : dims).join(',')}]`;
      return this.fail(name, `shape [${shape.join(',')}] does not match the config dims ${text}`);
    };
    if (shape.length !== dims.length + lead) mismatch();
    if (lead === 1 && shape[0] !== batchSize) {
      this.fail(name, `batch dimension ${shape[0]} is not the request's batch size ${batchSize}`);
    }
    for (let i = 0; i < dims.length; i++) {
      const d = dims[i]!;
      if (d >= 0 && shape[i + lead] !== d) mismatch();
    }
  }
}
