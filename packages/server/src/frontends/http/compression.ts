/**
 * HTTP body compression as Triton does it: request bodies may arrive with
 * `Content-Encoding: gzip | deflate`, and infer responses are compressed only when the client's
 * `Accept-Encoding` names gzip or deflate (br and others are ignored). Uses node:zlib.
 *
 * Inflating a request body is bounded three ways: by the body limit (a bomb stops there), by the
 * server-wide decompression budget (`../inflate-budget.ts`: 503 while other inflations hold it), and
 * for JSON by {@link DecodeOptions.maxJsonRatio}. JSON costs the event loop ~80 ns a byte to parse
 * (and the response as much to write), and JSON of repeated numbers compresses ~1000:1: a 64 MiB
 * JSON tensor sent as 65 KB of gzip held the event loop ~5 s, and 4 of them stalled every other
 * client for seconds. Real JSON tensors compress 2-10 times; past the ratio, the client must send
 * binary tensor data or an uncompressed body, where it pays for what it makes the server parse.
 */
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import { inflateBounded, InflateLimitError, inflateSmall, SYNC_INFLATE_MAX_INPUT_BYTES } from '../bounded-inflate.js';
import { InflateBusyError, type InflateBudget } from '../inflate-budget.js';
import { HttpStatusError } from './http-status.js';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);

/** A content coding this server reads and writes. */
export type ContentCoding = 'gzip' | 'deflate';

/**
 * JSON up to this size may inflate from any compressed size: small bodies compress poorly anyway
 * (gzip's framing alone is ~20 bytes), and 16 KiB of JSON parses in about a millisecond.
 */
export const JSON_INFLATION_FLOOR_BYTES = 16 * 1024;

/** Default of {@link DecodeOptions.maxJsonRatio} (`--http-max-json-inflation-ratio`). */
export const DEFAULT_MAX_JSON_INFLATION_RATIO = 32;

/** Seconds a client is asked to wait (`Retry-After`) when the decompression budget is in use. */
const BUSY_RETRY_AFTER_SECS = '1';

/** How a request body may be decompressed. */
export interface DecodeOptions {
  /** Largest body after decompression (the body limit). */
  readonly maxBytes: number;
  /** The server-wide decompression budget; none when omitted. */
  readonly budget?: InflateBudget | undefined;
  /**
   * The JSON part of a compressed body (all of it, or the `Inference-Header-Content-Length` bytes
   * of a binary request) may be at most this many times the compressed body's size, or
   * {@link JSON_INFLATION_FLOOR_BYTES}; 0 or omitted: no such limit.
   */
  readonly maxJsonRatio?: number | undefined;
  /** The request's `Inference-Header-Content-Length`: absent, the whole body is JSON. */
  readonly jsonHeaderLength?: string | string[] | undefined;
}

/** The JSON bytes of a binary request, or undefined when the whole body is JSON or the header is not a number. */
function binaryJsonLength(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? (header[0] ?? '') : header).trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function ratioError(coding: ContentCoding, ratio: number, sent: number): HttpStatusError {
  return new HttpStatusError(
    413,
    `the JSON of the ${coding}-compressed request body is more than ${ratio} times the ${sent} bytes sent ` +
      `(--http-max-json-inflation-ratio ${ratio}, past ${JSON_INFLATION_FLOOR_BYTES} bytes of JSON): ` +
      'send large tensors as binary data (Inference-Header-Content-Length) or the body uncompressed',
  );
}

/**
 * Decompresses a request body according to its `Content-Encoding`. Identity (or no header)
 * returns the body as it is. The decompressed size is capped while inflating
 * (`../bounded-inflate.ts`): a bomb stops as soon as its output passes the limit, so it costs about
 * the limit in memory, never its full inflated size.
 *
 * @throws HttpStatusError 415 for an unknown coding (with `Accept-Encoding: gzip, deflate`),
 *   400 for corrupt data, 413 when the output would exceed `maxBytes` or its JSON the ratio,
 *   503 (with `Retry-After: 1`) while the decompression budget cannot take it.
 * @example
 * ```ts
 * const body = await decodeRequestBody(raw, req.headers['content-encoding'], { maxBytes: 1 << 30, budget });
 * ```
 */
export async function decodeRequestBody(
  body: Buffer,
  contentEncoding: string | undefined,
  options: DecodeOptions,
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
  const { maxBytes } = options;
  const ratio = options.maxJsonRatio ?? 0;
  const jsonCap = ratio > 0 ? Math.max(JSON_INFLATION_FLOOR_BYTES, ratio * body.length) : Infinity;
  const headerLength = options.jsonHeaderLength === undefined ? undefined : binaryJsonLength(options.jsonHeaderLength);
  // All JSON: inflating stops at the JSON cap. A binary request: its JSON part is checked after.
  const cap = options.jsonHeaderLength === undefined ? Math.min(maxBytes, jsonCap) : maxBytes;
  let out: Buffer;
  try {
    out =
      (body.length <= SYNC_INFLATE_MAX_INPUT_BYTES ? inflateSmall(body, coding, cap) : undefined) ??
      (await inflateBounded(body, coding, cap, options.budget));
  } catch (err) {
    if (err instanceof InflateBusyError) {
      throw new HttpStatusError(503, err.message, { 'retry-after': BUSY_RETRY_AFTER_SECS });
    }
    if (err instanceof InflateLimitError) {
      if (cap < maxBytes) throw ratioError(coding, ratio, body.length);
      throw new HttpStatusError(413, `the ${coding}-decompressed request body exceeds the limit of ${maxBytes} bytes`);
    }
    throw new HttpStatusError(400, `failed to decompress the ${coding} request body: ${(err as Error).message}`);
  }
  if (headerLength !== undefined && Math.min(headerLength, out.length) > jsonCap) {
    throw ratioError(coding, ratio, body.length);
  }
  return out;
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
