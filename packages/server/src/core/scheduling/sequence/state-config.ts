/**
 * The starting values of a sequence model's implicit states (config/sequence-states.ts checks the
 * block without touching the disk): {@link loadStateSpecs} builds each state's initial value
 * (zeros, or `initial_state.data_file` read from `<model>/initial_state/`, confined to the model
 * folder like every file a config names).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { byteSizeOf, countBytesElements, TensorCodecError, type DataType } from '@tensorgate/protocol';
import { resolveConfinedPath } from '../../../backend-api/confined-path.js';
import type { ModelConfig } from '../../config/model-config.js';
import { invalidArg } from '../../errors.js';
import { stateSpecsOf, type StateSpec } from '../../config/sequence-states.js';

/** The folder of `initial_state.data_file`s inside the model folder (Triton's `kInitialStateFolder`). */
export const INITIAL_STATE_FOLDER = 'initial_state';

/** Largest initial state file read (also bounded by the per-sequence state limit). */
export const MAX_INITIAL_STATE_FILE_BYTES = 64 * 1024 * 1024;

/** A {@link StateSpec} with the value a sequence's state starts from on START. */
export interface LoadedStateSpec extends StateSpec {
  /**
   * Shape of the state on START: the batch dimension 1 in front when the model batches, then
   * `initial_state.dims`, or the state dims with each -1 taken as 1 (Triton's rule).
   */
  readonly initialShape: readonly number[];
  /**
   * Raw bytes of the starting value: `zero_data` or the data file; zeros when the config has no
   * `initial_state` (Triton leaves that memory uninitialized; tensorgate never hands a model
   * bytes of another sequence). BYTES zeros are empty strings.
   */
  readonly initialData: Uint8Array;
}

/** Bytes of `count` elements of `datatype` that are zero (BYTES: empty strings). */
function zeros(datatype: DataType, shape: readonly number[]): Uint8Array {
  const size = byteSizeOf(datatype, shape);
  // BYTES: a 4-byte zero length per element.
  return new Uint8Array(size ?? 4 * shape.reduce((a, b) => a * b, 1));
}

async function readInitialFile(
  spec: StateSpec,
  file: string,
  shape: readonly number[],
  modelPath: string,
  where: string,
): Promise<Uint8Array> {
  const { path } = await resolveConfinedPath(file, {
    modelPath,
    base: join(modelPath, INITIAL_STATE_FOLDER),
    field: 'initial_state data_file',
    owner: `state '${spec.inputName}'`,
  });
  let bytes: Uint8Array;
  try {
    const buf = await readFile(path);
    if (buf.byteLength > MAX_INITIAL_STATE_FILE_BYTES) {
      throw new Error(`it has ${buf.byteLength} bytes, more than the ${MAX_INITIAL_STATE_FILE_BYTES} allowed`);
    }
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw invalidArg(`${where}: cannot read initial_state data_file '${path}': ${(e as Error).message}`);
  }
  const expected = byteSizeOf(spec.datatype, shape);
  if (expected === undefined) {
    // BYTES: the whole file is the serialized elements (4-byte length + bytes each), as in Triton.
    let n: number;
    try {
      n = countBytesElements(bytes);
    } catch (e) {
      if (e instanceof TensorCodecError) throw invalidArg(`${where}: initial_state data_file '${file}': ${e.message}`);
      throw e;
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (n !== count) {
      throw invalidArg(`${where}: initial_state data_file '${file}' holds ${n} string(s), the dims need ${count}`);
    }
    return bytes;
  }
  if (bytes.byteLength < expected) {
    throw invalidArg(
      `${where}: initial_state expects ${expected} bytes, but the data_file '${file}' has only ${bytes.byteLength}`,
    );
  }
  // Triton uses the first `expected` bytes of a longer file.
  return bytes.slice(0, expected);
}

/**
 * Checks the config's implicit states ({@link stateSpecsOf}) and builds their initial values.
 *
 * @throws InferenceError INVALID_ARG as {@link stateSpecsOf}, or for a data file that is outside
 *   the model folder, unreadable, too short, or (BYTES) not whole length-prefixed strings
 * @example
 * ```ts
 * const specs = await loadStateSpecs(config, '/models/accumulator');
 * specs[0].initialShape; // [1, 1] for dims [-1] on a batching model
 * ```
 */
export async function loadStateSpecs(config: ModelConfig, modelPath: string): Promise<LoadedStateSpec[]> {
  const lead = config.max_batch_size > 0 ? [1] : [];
  const loaded: LoadedStateSpec[] = [];
  for (const spec of stateSpecsOf(config)) {
    const where = `model '${config.name}': sequence_batching state '${spec.inputName}'`;
    const dims = spec.initial ? spec.initial.dims : spec.dims.map((d) => (d === -1 ? 1 : d));
    const initialShape = [...lead, ...dims];
    const file = spec.initial?.zeroData === false ? spec.initial.dataFile : undefined;
    const initialData =
      file === undefined
        ? zeros(spec.datatype, initialShape)
        : await readInitialFile(spec, file, initialShape, modelPath, where);
    loaded.push({ ...spec, initialShape, initialData });
  }
  return loaded;
}
