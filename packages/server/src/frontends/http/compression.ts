/**
 * HTTP body compression as Triton does it: request bodies may arrive with
 * `Content-Encoding: gzip | deflate`, and infer responses are compressed only when the client's
 * `Accept-Encoding` names gzip or deflate (br and others are ignored). Uses node:zlib.
 */
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import { inflateBounded, InflateLimitError } from '../bounded-inflate.js';
import { HttpStatusError } from './http-status.js';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

/** A content coding this server reads and writes. */
export type ContentCoding = 'gzip' | 'deflate';

/**
 * Decompresses a request body according to its `Content-Encoding`. Identity (or no header)
 * returns the body as it is. The decompressed size is capped at `maxBytes` while inflating
 * (`../bounded-inflate.ts`): a bomb stops as soon as its output passes the limit, so it costs about
 * `maxBytes` of memory, never its full inflated size.
 *
 * @throws HttpStatusError 415 for an unknown coding (with `Accept-Encoding: gzip, deflate`),
 *   400 for corrupt data, 413 when the output would exceed `maxBytes`.
 * @example
 * ```ts
 * const body = await decodeRequestBody(raw, req.headers['content-encoding'], 1 << 30);
 * ```
 */
export async function decodeRequestBody(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  if (coding !== 'gzip' && coding !== 'deflate') {
    throw new HttpStatusError(
      415,
      `unsupported Content-Encoding '${contentEncoding ?? ''}': only gzip, deflate and identity are accepted`,
      { 'accept-encoding': 'gzip, deflate' },
    );
  }
  try {
    return await inflateBounded(body, coding, maxBytes);
  } catch (err) {
    if (err instanceof InflateLimitError) {
      throw new HttpStatusError(413, `the ${coding}-decompressed request body exceeds the limit of ${maxBytes} bytes`);
    }
    throw new HttpStatusError(400, `failed to decompress the ${coding} request body: ${(err as Error).message}`);
  }
}

/**
 * Picks the response coding from `Accept-Encoding`: the highest-weighted of gzip, deflate and
 * identity (ties keep the first listed), as Triton does. Returns undefined for identity.
 *
 * @example
 * ```ts
 * chooseResponseCoding('br, gzip;q=0.8, deflate;q=0.5') // 'gzip'
 * ```
 */
export function chooseResponseCoding(acceptEncoding: string | string[] | undefined): ContentCoding | undefined {
  if (acceptEncoding === undefined) return undefined;
  const text = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  let best: string = 'identity';
  let bestWeight = 0;
  for (const part of text.split(',')) {
    const [rawName, ...params] = part.split(';');
    const name = (rawName ?? '').trim().toLowerCase();
    if (name !== 'gzip' && name !== 'deflate' && name !== 'identity') continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) weight = Number(m[1]);
    }
    if (Number.isFinite(weight) && weight > bestWeight) {
      best = name;
      bestWeight = weight;
    }
  }
  return best === 'identity' ? undefined : (best as ContentCoding);
}

/** Compresses a response body with `coding` (on the libuv thread pool). */
export async function encodeResponseBody(body: Buffer, coding: ContentCoding): Promise<Buffer> {
  return coding === 'gzip' ? gzipAsync(body) : deflateAsync(body);
}
