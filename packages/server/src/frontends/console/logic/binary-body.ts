/**
 * Request bodies of Triton's binary tensor extension, built in the browser for inputs the try-it
 * form takes from a file or an image: the JSON header (each binary input with
 * `parameters.binary_data_size`), then each input's raw bytes in order; the header's length goes
 * in `Inference-Header-Content-Length`. Also the conversion of a decoded image (RGBA pixels from a
 * canvas) into an FP32 or UINT8 tensor.
 */

/** A BYTES tensor of one element: a 4-byte little-endian length, then the bytes. */
export function bytesElement(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, 4);
  return out;
}

/** A body: the JSON header followed by the binary sections. */
export interface BinaryBody {
  body: Uint8Array;
  /** The value of `Inference-Header-Content-Length`. */
  headerLength: number;
}

/** Joins the JSON header and the sections (in the order the header lists the binary inputs). */
export function binaryInferBody(header: unknown, sections: readonly Uint8Array[]): BinaryBody {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const size = sections.reduce((n, s) => n + s.length, json.length);
  const body = new Uint8Array(size);
  body.set(json, 0);
  let at = json.length;
  for (const s of sections) {
    body.set(s, at);
    at += s.length;
  }
  return { body, headerLength: json.length };
}

/** The raw little-endian bytes of a typed array (what a binary section holds). */
export function tensorBytes(values: Float32Array | Uint8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** How pixel values 0..255 are scaled for an FP32 image input. */
export type ImageScaling = 'none' | 'unit' | 'inception';

/** Where an image input keeps its channels. */
export type ImageLayout = 'NCHW' | 'NHWC';

/**
 * An image input's layout and size from its shape (batch dim removed) and config `format`:
 * `[3|1, H, W]` is NCHW, `[H, W, 3|1]` NHWC; the config's format decides when both fit.
 * Null when the shape is not an image.
 */
export function imageInputLayout(
  shape: readonly number[],
  format = 'FORMAT_NONE',
): { layout: ImageLayout; channels: number; height: number; width: number } | null {
  if (shape.length !== 3) return null;
  const [a, b, c] = shape as [number, number, number];
  const chw = (a === 3 || a === 1) && b > 1 && c > 1;
  const hwc = (c === 3 || c === 1) && a > 1 && b > 1;
  if (chw && (format !== 'FORMAT_NHWC' || !hwc)) return { layout: 'NCHW', channels: a, height: b, width: c };
  if (hwc) return { layout: 'NHWC', channels: c, height: a, width: b };
  return null;
}

/**
 * Converts RGBA pixels (a canvas' ImageData, already `width` × `height`) into a tensor of the
 * layout; one channel takes the mean of R, G and B.
 */
export function imageToTensor(
  rgba: Uint8ClampedArray | Uint8Array,
  target: { layout: ImageLayout; channels: number; height: number; width: number },
  datatype: 'FP32' | 'UINT8',
  scaling: ImageScaling = 'none',
): Float32Array | Uint8Array {
  const { layout, channels, height, width } = target;
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`expected ${n * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}`);
  const out = datatype === 'FP32' ? new Float32Array(n * channels) : new Uint8Array(n * channels);
  const scale = (v: number): number =>
    datatype === 'UINT8' || scaling === 'none' ? v : scaling === 'unit' ? v / 255 : v / 127.5 - 1;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < channels; c++) {
      const v = channels === 1 ? (rgba[p * 4]! + rgba[p * 4 + 1]! + rgba[p * 4 + 2]!) / 3 : rgba[p * 4 + c]!;
      out[layout === 'NCHW' ? c * n + p : p * channels + c] = scale(v);
    }
  }
  return out;
}
