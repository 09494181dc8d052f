/**
 * The result of one inference: response metadata plus output tensors held as raw little-endian
 * bytes, decoded on demand by the accessors (a typed-array view is zero-copy when aligned).
 */
import { isDataType, type DataType, type TypedArray } from '@tensorgate/protocol/datatypes';
import { decodeBytesElements, decodeElements, TensorCodecError, viewAs } from '@tensorgate/protocol/tensor-codec';
import { invalidArgument } from './errors.js';
import type { ParameterValue } from './options.js';

/** One output tensor of a result. */
export interface OutputTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  /** Output parameters the server sent (transport parameters such as binary_data_size removed). */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  /** Raw little-endian bytes (BYTES: 4-byte length prefixed elements). */
  readonly raw: Uint8Array;
}

/** What a transport decodes a response into. */
export interface InferResultInit {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly outputs: readonly OutputTensor[];
}

/** Response parameter Triton uses on streams to flag a request's last response. */
export const FINAL_RESPONSE_PARAMETER = 'triton_final_response';
/**
 * The response parameter in which a tensorgate server gives a streamed error its code (Triton's
 * ModelStreamInfer `error_message` has none); absent from other servers' streams.
 */
export const ERROR_CODE_PARAMETER = 'tensorgate_error_code';

/**
 * An inference result.
 *
 * @example
 * ```ts
 * const result = await client.infer('simple', [a, b]);
 * result.asTypedArray('OUTPUT0'); // Int32Array(16)
 * result.shape('OUTPUT0'); // [1, 16]
 * ```
 */
export class InferResult {
  /** Name of the model that answered. */
  readonly modelName: string;
  /** Version of the model that answered. */
  readonly modelVersion: string;
  /** The request id echoed by the server ('' when the request had none). */
  readonly id: string;
  /** Response parameters (e.g. `triton_final_response` on stream responses). */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  private readonly byName: ReadonlyMap<string, OutputTensor>;

  constructor(init: InferResultInit) {
    this.modelName = init.modelName;
    this.modelVersion = init.modelVersion;
    this.id = init.id;
    this.parameters = init.parameters;
    this.byName = new Map(init.outputs.map((o) => [o.name, o]));
  }

  /**
   * Whether this is the last response of its request: true except for the non-final responses of
   * a decoupled model on a gRPC stream (read from the `triton_final_response` parameter).
   */
  get final(): boolean {
    return this.parameters[FINAL_RESPONSE_PARAMETER] !== false;
  }

  /** Output names in response order. */
  get outputNames(): readonly string[] {
    return [...this.byName.keys()];
  }

  /** Every output tensor, in response order. */
  get outputs(): readonly OutputTensor[] {
    return [...this.byName.values()];
  }

  /** One output, or undefined when the response has no output of that name. */
  output(name: string): OutputTensor | undefined {
    return this.byName.get(name);
  }

  /** An output's shape. @throws InferenceServerError INVALID_ARG for an unknown output. */
  shape(name: string): readonly number[] {
    return this.get(name).shape;
  }

  /** An output's datatype. @throws InferenceServerError INVALID_ARG for an unknown output. */
  datatype(name: string): DataType {
    return this.get(name).datatype;
  }

  /** An output's raw bytes. */
  raw(name: string): Uint8Array {
    return this.get(name).raw;
  }

  /**
   * The output as the typed array of its datatype: Int32Array for INT32, BigInt64Array for
   * INT64, Uint8Array (0/1) for BOOL, Uint16Array of raw bit patterns for FP16/BF16, and so on.
   *
   * @throws InferenceServerError INVALID_ARG for BYTES outputs (use {@link asStrings}).
   */
  asTypedArray(name: string): TypedArray {
    const out = this.get(name);
    if (out.datatype === 'BYTES') {
      throw invalidArgument(`output '${name}' is BYTES: read it with asStrings() or asBytes()`);
    }
    return this.decoding(name, () => viewAs(out.datatype, out.raw));
  }

  /**
   * The output as plain values: numbers (64-bit integers rounded to the nearest number, FP16/BF16
   * converted), booleans for BOOL, UTF-8 strings for BYTES.
   */
  asArray(name: string): Array<number | boolean | string> {
    const out = this.get(name);
    return this.decoding(name, () => decodeElements(out.datatype, out.raw));
  }

  /** A BYTES output's elements decoded as UTF-8 strings. */
  asStrings(name: string): string[] {
    const decoder = new TextDecoder();
    return this.asBytes(name).map((b) => decoder.decode(b));
  }

  /** A BYTES output's elements as byte arrays (views of the response, not copies). */
  asBytes(name: string): Uint8Array[] {
    const out = this.get(name);
    if (out.datatype !== 'BYTES') throw invalidArgument(`output '${name}' is ${out.datatype}, not BYTES`);
    return this.decoding(name, () => decodeBytesElements(out.raw));
  }

  private get(name: string): OutputTensor {
    const out = this.byName.get(name);
    if (out === undefined) {
      throw invalidArgument(
        `the response has no output '${name}' (outputs: ${this.outputNames.map((n) => `'${n}'`).join(', ') || 'none'})`,
      );
    }
    return out;
  }

  private decoding<T>(name: string, decode: () => T): T {
    try {
      return decode();
    } catch (e) {
      if (e instanceof TensorCodecError) throw invalidArgument(`output '${name}': ${e.message}`);
      throw e;
    }
  }
}

/** Checks a datatype string from the wire. */
export function wireDatatype(datatype: string, where: string): DataType {
  if (!isDataType(datatype)) throw invalidArgument(`${where}: the server sent an unknown datatype '${datatype}'`);
  return datatype;
}
