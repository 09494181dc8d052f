/**
 * Inflating untrusted request bytes (HTTP `Content-Encoding`, gRPC `grpc-encoding`: gzip or
 * deflate) with the output capped, shared by the HTTP and gRPC frontends so a decompression bomb
 * costs both the same bounded amount.
 *
 * node:zlib does the work: with `maxOutputLength` its one-shot functions stop as soon as the output
 * passes the cap (they collect output chunks and abort on the first chunk over it, before
 * concatenating anything), so a 1 MB message that would inflate to 1 GiB costs about the cap in
 * memory (plus one chunk), never the whole 1 GiB. Only output that fits is concatenated into one
 * buffer (briefly twice its size while the chunks are copied).
 *
 * What this file adds:
 * - output chunks sized to the input (up to {@link MAX_INFLATE_CHUNK_BYTES}) instead of zlib's
 *   16 KiB, which makes inflating a large message (and aborting a bomb) 2–4x quicker: each chunk is
 *   one thread-pool round trip;
 * - {@link inflateSmall}: small inputs inflate on the event loop, but only up to
 *   {@link SYNC_INFLATE_MAX_OUTPUT_BYTES} of output; a small input that inflates further (a
 *   32 KiB deflate stream can hold ~32 MiB) goes to the thread pool instead of blocking the loop.
 * - the server-wide budget (`inflate-budget.ts`) for asynchronous inflations: each reserves the
 *   most its input can inflate to and inflates with the output capped at what it got. Inflations on
 *   the event loop are not counted: they run one at a time and stop at 1 MiB.
 */
import { promisify } from 'node:util';
import zlib, { type ZlibOptions } from 'node:zlib';
import { type InflateBudget, worstCaseOutput } from './inflate-budget.js';

/** A content coding the frontends inflate. */
export type InflateCoding = 'gzip' | 'deflate';

/** Compressed inputs up to this size are worth trying on the event loop ({@link inflateSmall}). */
export const SYNC_INFLATE_MAX_INPUT_BYTES = 32 * 1024;
/** Output inflated on the event loop at most, per input ({@link inflateSmall}). */
export const SYNC_INFLATE_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Largest output chunk of an asynchronous inflate. */
export const MAX_INFLATE_CHUNK_BYTES = 256 * 1024;
/** zlib's default (and our smallest) output chunk. */
const MIN_INFLATE_CHUNK_BYTES = 16 * 1024;
/** node:zlib refuses a larger `maxOutputLength` (buffer.kMaxLength on 32-bit builds; plenty here). */
const ZLIB_MAX_OUTPUT = 2 ** 31 - 1;

/** The output would pass the cap: the caller answers 413 / RESOURCE_EXHAUSTED. */
export class InflateLimitError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the decompressed data exceeds the limit of ${maxBytes} bytes`);
    this.name = 'InflateLimitError';
  }
}

/** Corrupt or truncated compressed data: the caller answers 400 / INTERNAL. */
export class InflateDataError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InflateDataError';
  }
}

const gunzipAsync = promisify(zlib.gunzip);
const inflateAsync = promisify(zlib.inflate);

function failure(err: unknown, maxBytes: number): Error {
  const e = err as NodeJS.ErrnoException;
  // ERR_BUFFER_TOO_LARGE is maxOutputLength; a RangeError is a result past buffer.kMaxLength.
  if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) return new InflateLimitError(maxBytes);
  return new InflateDataError(e instanceof Error ? e.message : String(err));
}

/** Output chunks about the input's size: few thread-pool round trips, little slack on small outputs. */
function chunkBytesFor(inputBytes: number): number {
  let chunk = MIN_INFLATE_CHUNK_BYTES;
  while (chunk < inputBytes && chunk < MAX_INFLATE_CHUNK_BYTES) chunk *= 2;
  return chunk;
}

/**
 * Inflates `input` on the libuv thread pool, stopping as soon as the output passes `maxBytes`.
 * Rejects with {@link InflateLimitError} or {@link InflateDataError}.
 *
 * With a `budget`, the inflation first reserves the most `input` can inflate to (at most
 * `maxBytes`) and its output is capped at what the budget could give: when that is less, an output
 * that passes it rejects with the budget's `InflateBusyError` (retryable) instead, at once when
 * nothing was free. The reservation is returned when the inflation ends.
 *
 * @example
 * ```ts
 * const body = await inflateBounded(raw, 'gzip', 64 * 1024 * 1024, budget);
 * ```
 */
export async function inflateBounded(
  input: Buffer,
  coding: InflateCoding,
  maxBytes: number,
  budget?: InflateBudget,
): Promise<Buffer> {
  const want = worstCaseOutput(input.length, maxBytes);
  const granted = budget === undefined ? want : budget.reserve(want);
  if (granted === 0 && want > 0) throw budget!.busy();
  try {
    const options: ZlibOptions = { maxOutputLength: outputCap(granted), chunkSize: chunkBytesFor(input.length) };
    let out: Buffer;
    try {
      out = await (coding === 'gzip' ? gunzipAsync(input, options) : inflateAsync(input, options));
    } catch (err) {
      const e = failure(err, maxBytes);
      // Past what the budget gave, short of the limit: the message may be fine on a quieter server.
      if (e instanceof InflateLimitError && granted < maxBytes) throw budget?.busy(granted) ?? e;
      throw e;
    }
    if (out.length > granted) {
      throw granted < maxBytes && budget !== undefined ? budget.busy(granted) : new InflateLimitError(maxBytes);
    }
    return out;
  } finally {
    budget?.release(granted);
  }
}

/** zlib's `maxOutputLength` for a limit: zlib takes 1 to 2^31 - 1 (a limit of 0 is checked after). */
function outputCap(maxBytes: number): number {
  return Math.max(1, Math.min(maxBytes, ZLIB_MAX_OUTPUT));
}

/**
 * Inflates a small `input` on the event loop (cheaper than a thread-pool round trip) when its output
 * stays within {@link SYNC_INFLATE_MAX_OUTPUT_BYTES}; returns undefined when it would not (and
 * `maxBytes` allows more): inflate it with {@link inflateBounded} then. Throws
 * {@link InflateLimitError} or {@link InflateDataError}.
 *
 * @example
 * ```ts
 * const bytes = inflateSmall(payload, 'deflate', max) ?? (await inflateBounded(payload, 'deflate', max));
 * ```
 */
export function inflateSmall(input: Buffer, coding: InflateCoding, maxBytes: number): Buffer | undefined {
  const cap = outputCap(Math.min(maxBytes, SYNC_INFLATE_MAX_OUTPUT_BYTES));
  let out: Buffer;
  try {
    const options: ZlibOptions = { maxOutputLength: cap };
    out = coding === 'gzip' ? zlib.gunzipSync(input, options) : zlib.inflateSync(input, options);
  } catch (err) {
    const e = failure(err, maxBytes);
    if (e instanceof InflateLimitError && cap < maxBytes) return undefined;
    throw e;
  }
  if (out.length > maxBytes) throw new InflateLimitError(maxBytes);
  return out;
}
