/**
 * A GGUF v3 file writer (header, metadata key/values, tensor infos, aligned tensor data), written
 * from the GGUF specification (ggml `docs/gguf.md`). The same input always gives the same bytes:
 * there are no timestamps and values are written in the given order.
 */
import { ByteWriter } from './byte-writer.js';
import { numberToFloat16Bits } from '@tensorgate/protocol/float16';
import {
  GgmlTensorType,
  GgufValueType,
  kv,
  type GgufMetadataEntry,
  type GgufScalarType,
  type GgufTensor,
} from './gguf-types.js';

/** The four magic bytes every GGUF file starts with. */
export const GGUF_MAGIC = 'GGUF';
/** The format version written. */
export const GGUF_VERSION = 3;
/** `general.alignment` when the metadata does not set one (the spec's default). */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** What {@link writeGguf} serialises. */
export interface GgufFile {
  readonly metadata: readonly GgufMetadataEntry[];
  readonly tensors: readonly GgufTensor[];
  /** Tensor data alignment; written as `general.alignment` unless the metadata already has it. */
  readonly alignment?: number;
}

function writeScalar(w: ByteWriter, type: GgufScalarType, v: number | bigint | boolean | string): void {
  switch (type) {
    case GgufValueType.UINT8:
      return w.u8(Number(v));
    case GgufValueType.INT8:
      return w.i8(Number(v));
    case GgufValueType.UINT16:
      return w.u16(Number(v));
    case GgufValueType.INT16:
      return w.i16(Number(v));
    case GgufValueType.UINT32:
      return w.u32(Number(v));
    case GgufValueType.INT32:
      return w.i32(Number(v));
    case GgufValueType.FLOAT32:
      return w.f32(Number(v));
    case GgufValueType.BOOL:
      return w.u8(v === true ? 1 : 0);
    case GgufValueType.STRING:
      return w.str(String(v));
    case GgufValueType.UINT64:
      return w.u64(typeof v === 'bigint' ? v : Number(v));
    case GgufValueType.INT64:
      return w.i64(typeof v === 'bigint' ? v : Number(v));
    case GgufValueType.FLOAT64:
      return w.f64(Number(v));
  }
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function payloadBytes(t: GgufTensor): number {
  return elementCount(t.dims) * (t.type === GgmlTensorType.F16 ? 2 : 4);
}

/**
 * Serialises a GGUF v3 file. Throws on what llama.cpp would reject: duplicate or malformed keys,
 * tensor names over 63 bytes, data lengths that do not match the dims.
 *
 * @example
 * ```ts
 * const bytes = writeGguf({
 *   metadata: [['general.architecture', kv.str('llama')]],
 *   tensors: [{ name: 'output_norm.weight', dims: [64], type: GgmlTensorType.F32, data: new Float32Array(64) }],
 * });
 * ```
 */
export function writeGguf(file: GgufFile): Uint8Array {
  const alignment = file.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const metadata = [...file.metadata];
  const keys = new Set<string>();
  for (const [key] of metadata) {
    if (keys.has(key)) throw new Error(`duplicate metadata key ${key}`);
    if (!/^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(key)) throw new Error(`malformed metadata key ${key}`);
    keys.add(key);
  }
  const align = metadata.find(([k]) => k === 'general.alignment');
  if (align === undefined) metadata.push(['general.alignment', kv.u32(alignment)]);
  else if (align[1].type !== GgufValueType.UINT32 || align[1].value !== alignment) {
    throw new Error('general.alignment must be a uint32 equal to the alignment option');
  }

  // Offsets relative to the start of the data section, each tensor aligned.
  const offsets: number[] = [];
  let dataOffset = 0;
  for (const t of file.tensors) {
    if (Buffer.byteLength(t.name, 'utf8') > 63) throw new Error(`tensor name too long: ${t.name}`);
    if (t.data.length !== elementCount(t.dims)) {
      throw new Error(`${t.name}: ${t.data.length} values for dims [${t.dims.join(', ')}]`);
    }
    offsets.push(dataOffset);
    dataOffset += payloadBytes(t);
    dataOffset += (alignment - (dataOffset % alignment)) % alignment;
  }

  const w = new ByteWriter(1 << 20);
  w.bytes(Buffer.from(GGUF_MAGIC, 'ascii'));
  w.u32(GGUF_VERSION);
  w.u64(file.tensors.length);
  w.u64(metadata.length);
  for (const [key, v] of metadata) {
    w.str(key);
    w.u32(v.type);
    if (v.type === GgufValueType.ARRAY) {
      w.u32(v.itemType);
      w.u64(v.value.length);
      for (const item of v.value) writeScalar(w, v.itemType, item);
    } else {
      writeScalar(w, v.type, v.value);
    }
  }
  file.tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offsets[i]!);
  });
  w.padTo(alignment);
  const dataStart = w.position;
  file.tensors.forEach((t, i) => {
    w.padTo(alignment);
    if (w.position - dataStart !== offsets[i]) throw new Error('internal error: tensor offset mismatch');
    if (t.type === GgmlTensorType.F16) for (const x of t.data) w.u16(numberToFloat16Bits(x));
    else for (const x of t.data) w.f32(x);
  });
  w.padTo(alignment);
  return w.result();
}
