/**
 * GGUF enumerations and metadata value types, from the GGUF specification (ggml `docs/gguf.md`)
 * and the ids llama.cpp uses. Only what the writer needs.
 */

/** `gguf_metadata_value_type`: the type tag of a metadata value. */
export const GgufValueType = Object.freeze({
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const);

/** A scalar metadata value type (anything but ARRAY). */
export type GgufScalarType = Exclude<(typeof GgufValueType)[keyof typeof GgufValueType], 9>;

/** `ggml_type` of a tensor; the writer stores only the two unquantized float types. */
export const GgmlTensorType = Object.freeze({ F32: 0, F16: 1 } as const);

/** A tensor type the writer can store. */
export type GgmlTensorTypeId = (typeof GgmlTensorType)[keyof typeof GgmlTensorType];

/** llama.cpp's `llama_ftype` for `general.file_type`: what most weights are stored as. */
export const LlamaFileType = Object.freeze({ ALL_F32: 0, MOSTLY_F16: 1 } as const);

/** llama.cpp's `llama_token_type` values for `tokenizer.ggml.token_type`. */
export const LlamaTokenType = Object.freeze({ NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const);

/** A token type id. */
export type LlamaTokenTypeId = (typeof LlamaTokenType)[keyof typeof LlamaTokenType];

/** One scalar metadata value with its type tag. */
export interface GgufScalarValue {
  readonly type: GgufScalarType;
  readonly value: number | bigint | boolean | string;
}

/** An array metadata value: every item has `itemType`. */
export interface GgufArrayValue {
  readonly type: typeof GgufValueType.ARRAY;
  readonly itemType: GgufScalarType;
  readonly value: readonly (number | bigint | boolean | string)[];
}

/** A typed metadata value. */
export type GgufValue = GgufScalarValue | GgufArrayValue;

/** A metadata key with its value; the order of the list is the order in the file. */
export type GgufMetadataEntry = readonly [key: string, value: GgufValue];

/**
 * Builders of typed metadata values, so call sites read like the spec.
 *
 * @example
 * ```ts
 * const entry: GgufMetadataEntry = ['llama.block_count', kv.u32(2)];
 * ```
 */
export const kv = {
  u32: (value: number): GgufScalarValue => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufScalarValue => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufScalarValue => ({ type: GgufValueType.FLOAT32, value }),
  f64: (value: number): GgufScalarValue => ({ type: GgufValueType.FLOAT64, value }),
  bool: (value: boolean): GgufScalarValue => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufScalarValue => ({ type: GgufValueType.STRING, value }),
  arr: (itemType: GgufScalarType, value: readonly (number | bigint | boolean | string)[]): GgufArrayValue => ({
    type: GgufValueType.ARRAY,
    itemType,
    value,
  }),
} as const;

/** A tensor to write. `dims` are in ggml order: `dims[0]` is the contiguous (fastest-varying) axis. */
export interface GgufTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlTensorTypeId;
  readonly data: Float32Array;
}
