/**
 * Request body compression with the platform's CompressionStream (Node >= 18 and every current
 * browser), so the HTTP client needs no node:zlib and stays browser-safe.
 */
import { invalidArgument } from '../errors.js';

/**
 * Compresses `bytes` with gzip or deflate (zlib format, which is what HTTP's `deflate` means).
 *
 * @throws InferenceServerError INVALID_ARG where CompressionStream is missing.
 * @example
 * ```ts
 * const gz = await compress(body, 'gzip');
 * ```
 */
export async function compress(bytes: Uint8Array, format: 'gzip' | 'deflate'): Promise<Uint8Array> {
  if (typeof CompressionStream !== 'function') {
    throw invalidArgument(`request compression needs CompressionStream, which this platform lacks`);
  }
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
