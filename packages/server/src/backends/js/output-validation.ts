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
import { InferenceError } from '../../core/errors.js';
import type { Tensor } from '../../core/types.js';
import type { WireTensor } from './worker-messages.js';

interface OutputRule {
  readonly datatype: DataType | undefined;
  /** Dims to check the shape against (without batch dim); undefined when reshaped. */
  readonly dims: readonly number[] | undefined;
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
        dims: o.reshape ? undefined : o.dims,
      });
    }
  }

  /**
   * Validates the outputs of one response and keeps those the client requested.
   *
   * @throws InferenceError INTERNAL naming the model, the output and the problem
   */
  validate(outputs: readonly WireTensor[], requested: readonly string[], batchSize: number): Tensor[] {
    const keep = new Set(requested);
    const seen = new Set<string>();
    const result: Tensor[] = [];
    for (const out of outputs) {
      this.check(out, seen, batchSize);
      if (keep.has(out.name)) result.push({ name: out.name, datatype: out.datatype, shape: out.shape, data: out.data });
    }
    return result;
  }

  private fail(name: string, problem: string): never {
    throw new InferenceError('INTERNAL', `model '${this.config.name}' returned an invalid output '${name}': ${problem}`);
  }

  private check(out: WireTensor, seen: Set<string>, batchSize: number): void {
    const { name, datatype, shape, data } = out;
    const rule = this.rules.get(name);
    if (!rule) {
      throw new InferenceError('INTERNAL', `model '${this.config.name}' returned an output '${name}' that is not in its config`);
    }
    if (seen.has(name)) this.fail(name, 'it appears twice in the response');
    seen.add(name);
    if (!isDataType(datatype) || datatype !== rule.datatype) {
      this.fail(name, `datatype ${String(datatype)} does not match the config (${rule.datatype ?? 'unknown'})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
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
        this.fail(name, `shape [${shape.join(',')}] needs ${expected} byte(s) of ${datatype} but the data has ${data.byteLength}`);
      }
    }
    if (rule.dims) this.checkDims(name, shape, rule.dims, batchSize);
  }

  private checkDims(name: string, shape: readonly number[], dims: readonly number[], batchSize: number): void {
    const full = this.batching ? [batchSize, ...dims] : dims;
    const text = `[${(this.batching ? ['batch', ...dims] : dims).join(',')}]`;
    if (shape.length !== full.length) {
      this.fail(name, `shape [${shape.join(',')}] does not match the config dims ${text}`);
    }
    full.forEach((d, i) => {
      if (d >= 0 && shape[i] !== d) {
        const what = this.batching && i === 0 ? `batch dimension ${shape[i]} is not the request's batch size ${batchSize}` : `shape [${shape.join(',')}] does not match the config dims ${text}`;
        this.fail(name, what);
      }
    });
  }
}
