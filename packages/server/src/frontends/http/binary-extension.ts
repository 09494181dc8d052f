/**
 * Triton's binary tensor data extension, the byte-level half: the `Inference-Header-Content-Length`
 * header, splitting a request body into its JSON header and the raw tensor bytes that follow, and
 * laying out a response the same way. The JSON half lives in `infer-json-codec.ts`.
 *
 * Binary inputs are handed to the core as `subarray` views of the request body: no copies.
 */
import { invalidArg } from '../../core/errors.js';

/** Name of the header giving the byte length of the JSON part of a binary request or response. */
export const INFER_HEADER_LENGTH_HEADER = 'inference-header-content-length';

/**
 * Parses `Inference-Header-Content-Length`. Returns undefined when the header is absent (the whole
 * body is JSON). A value of 0 is Triton's "raw binary request" (no JSON at all) and is returned
 * as 0 for the caller to decide on.
 *
 * @throws InferenceError INVALID_ARG when the value is not a whole number within the body.
 * @example
 * ```ts
 * parseHeaderLength('42', 100) // 42
 * ```
 */
export function parseHeaderLength(raw: string | string[] | undefined, bodyLength: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = (Array.isArray(raw) ? (raw[0] ?? '') : raw).trim();
  if (!/^\d+$/.test(text)) {
    throw invalidArg(`Unable to parse Inference-Header-Content-Length: expected a non-negative integer, got '${text}'`);
  }
  const value = Number(text);
  if (value > bodyLength) {
    throw invalidArg(`Inference-Header-Content-Length ${value} is larger than the request body (${bodyLength} bytes)`);
  }
  return value;
}

/**
 * Hands out consecutive slices of the binary part of a request body, one per binary input, in
 * the order the inputs appear in the JSON.
 */
export class BinaryCursor {
  private offset = 0;

  /** @param binary the bytes after the JSON header (may be empty). */
  constructor(private readonly binary: Uint8Array) {}

  /** Bytes not yet taken. */
  get remaining(): number {
    return this.binary.byteLength - this.offset;
  }

  /**
   * Takes the next `size` bytes for input `name` as a zero-copy view.
   *
   * @throws InferenceError INVALID_ARG when fewer bytes are left.
   */
  take(name: string, size: number): Uint8Array {
    if (size > this.remaining) {
      throw invalidArg(
        `unexpected size for input '${name}': binary_data_size is ${size} but only ${this.remaining} byte(s) of binary data remain in the request body`,
      );
    }
    const view = this.binary.subarray(this.offset, this.offset + size);
    this.offset += size;
    return view;
  }

  /**
   * Checks every binary byte was claimed by some input.
   *
   * @throws InferenceError INVALID_ARG when bytes are left over.
   */
  assertConsumed(modelName: string): void {
    if (this.remaining !== 0) {
      throw invalidArg(
        `unexpected additional input data for model '${modelName}': ${this.remaining} byte(s) after the last binary input (the binary_data_size values must add up to the body length minus Inference-Header-Content-Length)`,
      );
    }
  }
}

/**
 * Splits a request body into JSON header and binary tail. With no header length the whole body
 * is JSON and the tail is empty.
 */
export function splitInferBody(
  body: Uint8Array,
  headerLength: number | undefined,
): { json: Uint8Array; binary: Uint8Array } {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.byteLength) };
  return { json: body.subarray(0, headerLength), binary: body.subarray(headerLength) };
}

/** A response body laid out for the binary extension. */
export interface BinaryBody {
  /** JSON header followed by every binary output's bytes, in output order. */
  body: Buffer;
  /** Byte length of the JSON header (the `Inference-Header-Content-Length` value). */
  headerLength: number;
}

/**
 * Lays out a binary-extension response: the JSON header, then each chunk. Concatenates once into
 * a single Buffer so the socket gets one write.
 */
export function assembleBinaryBody(headerJson: string, chunks: readonly Uint8Array[]): BinaryBody {
  const header = Buffer.from(headerJson, 'utf8');
  let total = header.byteLength;
  for (const c of chunks) total += c.byteLength;
  const body = Buffer.allocUnsafe(total);
  header.copy(body, 0);
  let off = header.byteLength;
  for (const c of chunks) {
    body.set(c, off);
    off += c.byteLength;
  }
  return { body, headerLength: header.byteLength };
}
