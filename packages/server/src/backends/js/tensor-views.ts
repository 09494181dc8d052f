/**
 * Raw tensor bytes ↔ the values a JS model works with. Inputs become typed-array views over the
 * transferred buffer (no copy); outputs become raw little-endian bytes, transferred back without a
 * copy when the model hands over a large array that owns its whole buffer. Runs in the worker.
 */
import {
  DATATYPES,
  TensorCodecError,
  decodeBytesElements,
  decodeElements,
  elementCount,
  encodeBytesElements,
  encodeElements,
  fromConfigDataType,
  viewAs,
  type DataType,
} from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { stateSpecsOf } from '../../core/config/sequence-states.js';
import type { JsInputTensor, JsOutputTensor, JsTensorData } from './model-api.js';
import type { WireTensor } from './worker-messages.js';

const utf8 = new TextDecoder();

/**
 * Outputs at least this large that span their whole ArrayBuffer are transferred instead of copied.
 * Below it a copy costs less than surprising the model with a detached array it meant to reuse.
 */
export const TRANSFER_THRESHOLD_BYTES = 64 * 1024;

/** Buffers already handed to the main thread, to explain reuse of a detached array. */
const transferredBuffers = new WeakSet<ArrayBufferLike>();

/**
 * Large input buffers that arrived from the main thread for one request only. An output that is a
 * view into one of them (an identity or in-place model) moves back as it is, offset and all,
 * instead of being copied.
 */
const movableInputBuffers = new WeakSet<ArrayBufferLike>();

/** Marks the buffers of a received packet that belong to a single request's large inputs. */
export function markMovableInputBuffers(buffers: readonly ArrayBuffer[]): void {
  for (const b of buffers) if (b.byteLength >= TRANSFER_THRESHOLD_BYTES) movableInputBuffers.add(b);
}

/** Builds the model-facing view of one input (zero-copy over `wire.data`). */
export function createInputTensor(wire: WireTensor): JsInputTensor {
  const { name, datatype, shape } = wire;
  const raw = wire.data;
  const data: JsTensorData = datatype === 'BYTES' ? decodeBytesElements(raw) : viewAs(datatype, raw);
  return {
    name,
    datatype,
    shape,
    data,
    raw,
    strings(): string[] {
      if (datatype !== 'BYTES') throw new TypeError(`input '${name}' is ${datatype}, not BYTES`);
      return (data as Uint8Array[]).map((e) => utf8.decode(e));
    },
    toArray: () => decodeElements(datatype, raw),
  };
}

/** What the worker knows about the config's outputs, to fill defaults. */
export interface OutputSpec {
  readonly datatype: DataType;
  readonly dims: readonly number[];
}

/** Output name → spec, from the normalized config. */
export function outputSpecs(config: ModelConfig): Map<string, OutputSpec> {
  const specs = new Map<string, OutputSpec>();
  for (const o of config.output) {
    const datatype = fromConfigDataType(o.data_type);
    if (datatype) specs.set(o.name, { datatype, dims: o.reshape?.shape ?? o.dims });
  }
  // Implicit state outputs (sequence_batching.state) default like config outputs.
  for (const s of stateSpecsOf(config)) {
    if (!specs.has(s.outputName)) specs.set(s.outputName, { datatype: s.datatype, dims: s.dims });
  }
  return specs;
}

/** An encoded output plus the buffer to transfer with it, if any. */
export interface EncodedOutput {
  readonly tensor: WireTensor;
  readonly transfer?: ArrayBuffer;
}

function isTypedArray(v: unknown): v is ArrayBufferView & ArrayLike<number | bigint> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Copies bytes somewhere the model cannot change them any more (default: a fresh array). */
export type ByteCopier = (bytes: Uint8Array) => Uint8Array;

const freshCopy: ByteCopier = (bytes) => bytes.slice();

/** Raw bytes of a typed array of the datatype's own class: transferred or copied. */
function rawOf(arr: ArrayBufferView, name: string, copy: ByteCopier): { data: Uint8Array; transfer?: ArrayBuffer } {
  const buf = arr.buffer;
  if (transferredBuffers.has(buf) && movableInputBuffers.has(buf) && buf.byteLength > 0) {
    // A second output viewing the same input buffer in this response: that buffer already moves
    // with the first one, so this output is copied.
    return { data: copy(new Uint8Array(buf, arr.byteOffset, arr.byteLength)) };
  }
  if (transferredBuffers.has(buf)) {
    throw new TypeError(
      `output '${name}': its array was already sent in an earlier response and no longer holds data ` +
        '(large outputs are handed over without copying); send a copy (array.slice()) to reuse it',
    );
  }
  const whole = arr.byteOffset === 0 && arr.byteLength === buf.byteLength;
  const large = buf instanceof ArrayBuffer && arr.byteLength >= TRANSFER_THRESHOLD_BYTES;
  if (large && (whole || movableInputBuffers.has(buf))) {
    transferredBuffers.add(buf);
    return { data: new Uint8Array(buf, arr.byteOffset, arr.byteLength), transfer: buf as ArrayBuffer };
  }
  return { data: copy(new Uint8Array(buf, arr.byteOffset, arr.byteLength)) };
}

/** Converts the `data` of one output to raw bytes. */
function encodeData(
  datatype: DataType,
  out: JsOutputTensor,
  copy: ByteCopier,
): { data: Uint8Array; transfer?: ArrayBuffer } {
  const { data, name } = out;
  if (isTypedArray(data)) {
    const own = DATATYPES[datatype].arrayType;
    if (own && data instanceof own) {
      if (datatype === 'BOOL') {
        const bytes = data as Uint8Array;
        const bad = bytes.findIndex((b) => b > 1);
        if (bad >= 0) throw new TensorCodecError(`element ${bad}: BOOL bytes must be 0 or 1, got ${bytes[bad]}`);
      }
      return rawOf(data, name, copy);
    }
    // A typed array of another class (Float64Array for FP32, Float32Array for FP16, ...):
    // convert element by element with the codec's range checks.
    return { data: encodeElements(datatype, Array.from(data as ArrayLike<unknown>)) };
  }
  if (!Array.isArray(data)) {
    throw new TypeError(`output '${name}': data must be a typed array or an array, got ${typeof data}`);
  }
  return { data: datatype === 'BYTES' ? encodeBytesStrict(data) : encodeElements(datatype, data) };
}

/** Encodes BYTES elements given as strings (UTF-8) and/or Uint8Arrays; anything else throws. */
export function encodeBytesStrict(values: readonly unknown[]): Uint8Array {
  values.forEach((v, i) => {
    if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
      throw new TensorCodecError(`element ${i}: expected a string or Uint8Array for BYTES, got ${typeof v}`);
    }
  });
  return encodeBytesElements(values as (string | Uint8Array)[]);
}

/** The shape of an output whose model gave none: config dims, one -1 inferred. */
function defaultShape(name: string, spec: OutputSpec | undefined, count: number, batch: number | undefined): number[] {
  if (!spec) return [count];
  const dims = batch === undefined ? [...spec.dims] : [batch, ...spec.dims];
  const unknown = dims.filter((d) => d < 0).length;
  if (unknown === 0) return dims;
  if (unknown > 1) {
    throw new TypeError(
      `output '${name}': give a shape (the config dims [${spec.dims.join(',')}] leave more than one dim open)`,
    );
  }
  const known = elementCount(dims.filter((d) => d >= 0));
  return dims.map((d) => (d < 0 ? (known === 0 ? 0 : count / known) : d));
}

/**
 * Encodes one model output to raw bytes. Throws (TypeError / TensorCodecError) with a message
 * naming the output when the data cannot be encoded; the main thread validates the rest.
 *
 * @param batch the request's batch size when the model batches, else undefined
 * @param copy where bytes that stay the model's are copied to (default: a fresh array)
 */
export function encodeOutputTensor(
  out: JsOutputTensor,
  specs: ReadonlyMap<string, OutputSpec>,
  batch: number | undefined,
  copy: ByteCopier = freshCopy,
): EncodedOutput {
  if (out === null || typeof out !== 'object' || typeof out.name !== 'string') {
    throw new TypeError('each output must be an object with a string name');
  }
  const spec = specs.get(out.name);
  const datatype = out.datatype ?? spec?.datatype;
  if (datatype === undefined) throw new TypeError(`output '${out.name}' is not in the config; give its datatype`);
  if (!Object.prototype.hasOwnProperty.call(DATATYPES, datatype)) {
    throw new TypeError(`output '${out.name}': unknown datatype ${String(datatype)}`);
  }
  let encoded: { data: Uint8Array; transfer?: ArrayBuffer };
  try {
    encoded = encodeData(datatype, out, copy);
  } catch (err) {
    if (err instanceof TensorCodecError) throw new TensorCodecError(`output '${out.name}': ${err.message}`);
    throw err;
  }
  const count =
    datatype === 'BYTES'
      ? (out.data as ArrayLike<unknown>).length
      : encoded.data.byteLength / DATATYPES[datatype].byteSize;
  const shape = out.shape !== undefined ? [...out.shape] : defaultShape(out.name, spec, count, batch);
  const tensor: WireTensor = { name: out.name, datatype, shape, data: encoded.data };
  return encoded.transfer ? { tensor, transfer: encoded.transfer } : { tensor };
}
