/**
 * The implicit states of one model version's live sequences (Triton's SequenceStates), shared by
 * every backend because it lives in the scheduler layer: the sequence batcher asks it for the
 * state inputs of each request it dispatches ({@link SequenceStateStore.feed}), hands it the
 * state outputs of each execution ({@link SequenceStateStore.update}) and frees a sequence's
 * states when the sequence ends or is released for idleness ({@link SequenceStateStore.release}).
 *
 * Memory is bounded: at most `maxSequences` sequences hold state, each at most
 * `maxBytesPerSequence` bytes over all its states; a state output that would pass the limit fails
 * its request with RESOURCE_EXHAUSTED and the sequence keeps its previous state.
 */
import { byteSizeOf, countBytesElements, TensorCodecError } from '@tensorgate/protocol';
import { InferenceError } from '../../errors.js';
import type { Tensor } from '../../types.js';
import type { LoadedStateSpec } from './state-config.js';

/** Default bound of one sequence's state bytes (all its states together). */
export const DEFAULT_MAX_STATE_BYTES_PER_SEQUENCE = 64 * 1024 * 1024;

/**
 * What the batcher keys a sequence's states by: its correlation id, or better the batcher's own
 * record of the sequence (an object with the `id`), so that a new sequence reusing the id of one
 * whose END still executes never shares its states.
 */
export type SequenceKey = string | number | bigint | { readonly id: string | number | bigint };

/** Options of {@link SequenceStateStore}. */
export interface StateStoreOptions {
  /** Model name, for messages. */
  readonly model: string;
  /** True when the model batches (`max_batch_size` > 0): states carry a batch dimension of 1. */
  readonly batching: boolean;
  /** Most sequences holding state at once (the batcher's sequence slots). */
  readonly maxSequences: number;
  /** Most bytes of one sequence's states together (default {@link DEFAULT_MAX_STATE_BYTES_PER_SEQUENCE}). */
  readonly maxBytesPerSequence?: number;
}

interface Entry {
  /** The current value of each state, in spec order, named by the state's input name. */
  tensors: Tensor[];
  bytes: number;
}

const keyText = (key: SequenceKey): string => {
  const id = typeof key === 'object' ? key.id : key;
  return typeof id === 'string' ? `'${id}'` : String(id);
};

/**
 * @example
 * ```ts
 * const store = new SequenceStateStore(await loadStateSpecs(config, modelPath), {
 *   model: config.name, batching: config.max_batch_size > 0, maxSequences: slots,
 * });
 * const extra = store.feed(corrId, isStart);      // appended to the request's inputs
 * // ... after the execution:
 * store.update(corrId, response.outputs);         // throws INTERNAL if the model left one out
 * if (isEnd) store.release(corrId);
 * ```
 */
export class SequenceStateStore {
  private readonly entries = new Map<SequenceKey, Entry>();
  private readonly maxBytes: number;
  private readonly initialBytes: number;
  private totalBytes = 0;

  constructor(
    readonly specs: readonly LoadedStateSpec[],
    private readonly options: StateStoreOptions,
  ) {
    this.maxBytes = options.maxBytesPerSequence ?? DEFAULT_MAX_STATE_BYTES_PER_SEQUENCE;
    this.initialBytes = specs.reduce((n, s) => n + s.initialData.byteLength, 0);
    if (this.initialBytes > this.maxBytes) {
      throw new InferenceError(
        'INVALID_ARG',
        `model '${options.model}': the initial states of one sequence take ${this.initialBytes} bytes, more than the ${this.maxBytes} allowed per sequence (--max-sequence-state-bytes)`,
      );
    }
  }

  /** The output names the model must produce for every sequence request. */
  get outputNames(): string[] {
    return this.specs.map((s) => s.outputName);
  }

  /** Sequences holding state now. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of state held now, all sequences together. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** True when `key` holds state. */
  has(key: SequenceKey): boolean {
    return this.entries.has(key);
  }

  /**
   * The state inputs of the next request of sequence `key`, as fresh copies the request may own
   * (a backend may move them to a worker). With `start` the sequence's states are set to their
   * initial values first (a new sequence, or a sequence starting over under the same id).
   *
   * @throws InferenceError RESOURCE_EXHAUSTED when a new sequence would pass `maxSequences`;
   *   INVALID_ARG when a request that does not start its sequence finds no state (its START was
   *   never seen, or the sequence was released)
   */
  feed(key: SequenceKey, start: boolean): Tensor[] {
    let entry = this.entries.get(key);
    if (start) {
      if (!entry && this.entries.size >= this.options.maxSequences) {
        throw new InferenceError(
          'RESOURCE_EXHAUSTED',
          `model '${this.options.model}': ${this.entries.size} sequences already hold implicit state, the most this model's sequence slots allow`,
        );
      }
      if (entry) this.totalBytes -= entry.bytes;
      entry = {
        tensors: this.specs.map((s) => ({
          name: s.inputName,
          datatype: s.datatype,
          shape: s.initialShape,
          data: s.initialData,
        })),
        bytes: this.initialBytes,
      };
      this.entries.set(key, entry);
      this.totalBytes += entry.bytes;
    } else if (!entry) {
      throw new InferenceError(
        'INVALID_ARG',
        `model '${this.options.model}': sequence ${keyText(key)} has no implicit state; its first request must have sequence_start set`,
      );
    }
    return entry.tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data.slice() }));
  }

  /**
   * Zero-valued state inputs in the initial shapes, for an execution slot that holds no request
   * (Triton feeds such slots null states).
   */
  nullInputs(): Tensor[] {
    return this.specs.map((s) => ({
      name: s.inputName,
      datatype: s.datatype,
      shape: s.initialShape,
      data: new Uint8Array(s.initialData.byteLength),
    }));
  }

  /**
   * Takes the state outputs of one execution of sequence `key` as its next states (copied: the
   * response may still be on its way to the client). Returns false when the sequence no longer
   * holds state (released while it executed); then nothing is kept.
   *
   * @throws InferenceError INTERNAL when an output is missing or does not match its state's
   *   datatype and dims; RESOURCE_EXHAUSTED past the per-sequence byte limit. The sequence keeps
   *   its previous states.
   */
  update(key: SequenceKey, outputs: readonly Tensor[]): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    const next: Tensor[] = [];
    let bytes = 0;
    for (const spec of this.specs) {
      const out = outputs.find((t) => t.name === spec.outputName);
      if (!out) {
        throw this.bad(spec, 'the model did not return it');
      }
      this.check(spec, out);
      bytes += out.data.byteLength;
      next.push({ name: spec.inputName, datatype: spec.datatype, shape: [...out.shape], data: out.data.slice() });
    }
    if (bytes > this.maxBytes) {
      throw new InferenceError(
        'RESOURCE_EXHAUSTED',
        `model '${this.options.model}': the implicit states of sequence ${keyText(key)} would take ${bytes} bytes, more than the ${this.maxBytes} allowed per sequence (--max-sequence-state-bytes)`,
      );
    }
    this.totalBytes += bytes - entry.bytes;
    entry.tensors = next;
    entry.bytes = bytes;
    return true;
  }

  /** Frees the states of sequence `key` (its END executed, or it was released); false if it held none. */
  release(key: SequenceKey): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.totalBytes -= entry.bytes;
    this.entries.delete(key);
    return true;
  }

  /** Frees every sequence's states (the version unloads). */
  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  private bad(spec: LoadedStateSpec, problem: string): InferenceError {
    return new InferenceError(
      'INTERNAL',
      `model '${this.options.model}': state output '${spec.outputName}' (sequence_batching state '${spec.inputName}'): ${problem}`,
    );
  }

  private check(spec: LoadedStateSpec, out: Tensor): void {
    if (out.datatype !== spec.datatype) {
      throw this.bad(spec, `datatype ${out.datatype} does not match the state's ${spec.datatype}`);
    }
    const lead = this.options.batching ? 1 : 0;
    const shape = out.shape;
    const dimsText = `[${(lead ? ['1', ...spec.dims] : spec.dims).join(',')}]`;
    if (shape.length !== spec.dims.length + lead) {
      throw this.bad(spec, `shape [${shape.join(',')}] does not match the state dims ${dimsText}`);
    }
    if (lead && shape[0] !== 1) throw this.bad(spec, `shape [${shape.join(',')}] must have a batch dimension of 1`);
    spec.dims.forEach((d, i) => {
      const s = shape[i + lead]!;
      if (!Number.isSafeInteger(s) || s < 0 || (d !== -1 && s !== d)) {
        throw this.bad(spec, `shape [${shape.join(',')}] does not match the state dims ${dimsText}`);
      }
    });
    const count = shape.reduce((a, b) => a * b, 1);
    const expected = byteSizeOf(spec.datatype, shape);
    if (expected === undefined) {
      let n: number;
      try {
        n = countBytesElements(out.data);
      } catch (e) {
        if (e instanceof TensorCodecError) throw this.bad(spec, e.message);
        throw e;
      }
      if (n !== count)
        throw this.bad(spec, `shape [${shape.join(',')}] has ${count} element(s) but the data holds ${n}`);
    } else if (expected !== out.data.byteLength) {
      throw this.bad(
        spec,
        `shape [${shape.join(',')}] needs ${expected} bytes but the data has ${out.data.byteLength}`,
      );
    }
  }
}
