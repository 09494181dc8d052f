/**
 * An input tensor of an inference request. Data is held as raw little-endian bytes, the one
 * representation both transports send as is (gRPC `raw_input_contents`, HTTP binary tensor data),
 * so a typed array of the tensor's own type is sent without any per-element work.
 */
import { DATATYPES, elementCount, isDataType, type DataType, type TypedArray } from '@tensorgate/protocol/datatypes';
import { encodeElements, TensorCodecError } from '@tensorgate/protocol/tensor-codec';
import { invalidArgument } from './errors.js';
import type { Parameters } from './options.js';

/**
 * Values {@link InferInput.setData} accepts: a typed array (sent as raw bytes when its class is the
 * datatype's own, see {@link DATATYPES}; otherwise converted element by element), plain numbers,
 * bigints or booleans (nested arrays are flattened), or strings / byte strings for BYTES.
 */
export type TensorData =
  TypedArray | readonly (number | bigint | boolean)[] | readonly (string | Uint8Array)[] | readonly unknown[];

/** Options of {@link InferInput.setData}. */
export interface SetDataOptions {
  /**
   * HTTP only: send the data as binary tensor data (default true) or as JSON `data`. gRPC always
   * sends raw bytes.
   */
  readonly binary?: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * An input tensor: name, shape, datatype and data.
 *
 * @example
 * ```ts
 * const a = new InferInput('INPUT0', [1, 16], 'INT32').setData(new Int32Array(16).fill(1));
 * const s = new InferInput('TEXT', [2], 'BYTES').setData(['hello', 'world']);
 * ```
 */
export class InferInput {
  /** The input's name as the model declares it. */
  readonly name: string;
  /** The wire datatype. */
  readonly datatype: DataType;
  private shapeValue: readonly number[];
  private rawValue: Uint8Array | undefined;
  private binaryValue = true;
  private paramsValue: Parameters = {};
  private sharedMemoryValue = false;

  /**
   * @param name - input name
   * @param shape - full shape, including the batch dimension for batching models
   * @param datatype - wire datatype, e.g. `FP32`, `INT64`, `BYTES`
   * @throws InferenceServerError INVALID_ARG for an unknown datatype or a bad dimension.
   */
  constructor(name: string, shape: readonly number[], datatype: DataType | string) {
    if (!isDataType(datatype)) throw invalidArgument(`input '${name}': unknown datatype '${datatype}'`);
    this.name = name;
    this.datatype = datatype;
    this.shapeValue = checkShape(name, shape);
  }

  /** The shape. */
  get shape(): readonly number[] {
    return this.shapeValue;
  }

  /** Replaces the shape (e.g. to reuse the input with another batch size). */
  setShape(shape: readonly number[]): this {
    this.shapeValue = checkShape(this.name, shape);
    return this;
  }

  /**
   * Sets the tensor's data. The element count must match the shape.
   *
   * @throws InferenceServerError INVALID_ARG when values do not fit the datatype or the shape.
   */
  setData(data: TensorData, options: SetDataOptions = {}): this {
    const raw = this.encode(data);
    if (this.datatype !== 'BYTES') {
      const expected = elementCount(this.shapeValue) * DATATYPES[this.datatype].byteSize;
      if (raw.byteLength !== expected) {
        throw invalidArgument(
          `input '${this.name}': got ${raw.byteLength / DATATYPES[this.datatype].byteSize} element(s) but shape [${this.shapeValue.join(',')}] needs ${elementCount(this.shapeValue)}`,
        );
      }
    } else if (Array.isArray(data) && flatLength(data) !== elementCount(this.shapeValue)) {
      throw invalidArgument(
        `input '${this.name}': got ${flatLength(data)} element(s) but shape [${this.shapeValue.join(',')}] needs ${elementCount(this.shapeValue)}`,
      );
    }
    this.rawValue = raw;
    this.binaryValue = options.binary ?? true;
    this.leaveSharedMemory();
    return this;
  }

  /**
   * Sets already encoded raw bytes (little-endian elements; BYTES as 4-byte length prefixed
   * elements), e.g. a tensor read from a file. The bytes are not copied or checked here; the
   * server checks their size against the shape.
   */
  setRaw(raw: Uint8Array, options: SetDataOptions = {}): this {
    this.rawValue = raw;
    this.binaryValue = options.binary ?? true;
    this.leaveSharedMemory();
    return this;
  }

  /** The raw bytes; throws when no data was set. */
  get raw(): Uint8Array {
    if (this.rawValue === undefined) throw invalidArgument(`input '${this.name}' has no data: call setData() first`);
    return this.rawValue;
  }

  /** Whether the HTTP client sends this input as binary data. */
  get binary(): boolean {
    return this.binaryValue;
  }

  /** Input parameters sent with the tensor (rarely needed). */
  get parameters(): Parameters {
    return this.paramsValue;
  }

  /**
   * Sends the tensor through a system shared-memory region the client registered with the server
   * (Triton's shared-memory extension, docs/shared-memory.md): `byteSize` bytes at `offset` of
   * region `region`, instead of data in the request. Replaces any data set before; `setData` /
   * `setRaw` afterwards send data again.
   *
   * @example
   * ```ts
   * new InferInput('INPUT0', [1, 16], 'INT32').setSharedMemory('input_data', 64);
   * ```
   */
  setSharedMemory(region: string, byteSize: number, offset = 0): this {
    const { shared_memory_offset: _old, ...rest } = this.paramsValue;
    this.paramsValue = {
      ...rest,
      shared_memory_region: region,
      shared_memory_byte_size: byteSize,
      ...(offset !== 0 ? { shared_memory_offset: offset } : {}),
    };
    this.rawValue = EMPTY;
    this.sharedMemoryValue = true;
    return this;
  }

  /** True when the tensor travels through a shared-memory region ({@link setSharedMemory}). */
  get inSharedMemory(): boolean {
    return this.sharedMemoryValue;
  }

  private leaveSharedMemory(): void {
    if (!this.sharedMemoryValue) return;
    this.sharedMemoryValue = false;
    const {
      shared_memory_region: _r,
      shared_memory_byte_size: _b,
      shared_memory_offset: _o,
      ...rest
    } = this.paramsValue;
    this.paramsValue = rest;
  }

  /** Sets input parameters. */
  setParameters(parameters: Parameters): this {
    this.paramsValue = parameters;
    return this;
  }

  private encode(data: TensorData): Uint8Array {
    try {
      if (ArrayBuffer.isView(data)) {
        const own = DATATYPES[this.datatype].arrayType;
        if (own !== undefined && data instanceof own) {
          return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        }
        return encodeElements(this.datatype, Array.from(data as ArrayLike<unknown>));
      }
      return encodeElements(this.datatype, (data as readonly unknown[]).flat(Infinity));
    } catch (e) {
      if (e instanceof TensorCodecError) throw invalidArgument(`input '${this.name}': ${e.message}`);
      throw e;
    }
  }
}

function checkShape(name: string, shape: readonly number[]): readonly number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw invalidArgument(`input '${name}': shape [${shape.join(',')}] has an invalid dimension ${d}`);
    }
  }
  return [...shape];
}

function flatLength(data: readonly unknown[]): number {
  return data.flat(Infinity).length;
}
