/**
 * Request message decompression (`grpc-encoding`: identity, gzip, deflate), with the size limit
 * applied to the decompressed bytes. Small messages are inflated synchronously (cheaper than a
 * thread-pool round trip); larger ones asynchronously so the event loop keeps serving.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { WireStatusError } from './wire-status.js';

/** Compressed messages up to this size are inflated on the event loop. */
export const SYNC_DECOMPRESS_MAX_BYTES = 32 * 1024;

const gunzipAsync = promisify(zlib.gunzip);
const inflateAsync = promisify(zlib.inflate);

/** The `grpc-encoding` values the transport can read (also sent as `grpc-accept-encoding`). */
export const SUPPORTED_ENCODINGS: readonly string[] = ['identity', 'deflate', 'gzip'];

function tooLarge(maxBytes: number): WireStatusError {
  return new WireStatusError(
    GrpcStatus.RESOURCE_EXHAUSTED,
    `Received message that decompresses to a size larger than ${maxBytes}`,
  );
}

function failure(err: unknown, maxBytes: number): WireStatusError {
  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(maxBytes);
  return new WireStatusError(GrpcStatus.INTERNAL, `Failed to decompress message: ${(err as Error).message}`);
}

/**
 * Decompresses a message whose compressed flag is set, with the call's `grpc-encoding`. Throws (or
 * rejects with) a {@link WireStatusError}: INTERNAL when the flag is set without an encoding or the
 * bytes are not valid, UNIMPLEMENTED for an encoding this server does not know, RESOURCE_EXHAUSTED
 * when the result would exceed `maxBytes`.
 *
 * @example
 * ```ts
 * const bytes = compressed ? await decompressMessage(payload, headers['grpc-encoding'], max) : payload;
 * ```
 */
export function decompressMessage(
  payload: Buffer,
  encoding: string | undefined,
  maxBytes: number,
): Buffer | Promise<Buffer> {
  if (encoding === undefined || encoding === 'identity') {
    throw new WireStatusError(
      GrpcStatus.INTERNAL,
      'Received a message with the compressed flag set but no grpc-encoding for it',
    );
  }
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new WireStatusError(
      GrpcStatus.UNIMPLEMENTED,
      `Received message compressed with unsupported encoding "${encoding}"`,
    );
  }
  const options = { maxOutputLength: Math.min(maxBytes, 2 ** 31 - 1) };
  if (payload.length <= SYNC_DECOMPRESS_MAX_BYTES) {
    try {
      return encoding === 'gzip' ? zlib.gunzipSync(payload, options) : zlib.inflateSync(payload, options);
    } catch (err) {
      throw failure(err, maxBytes);
    }
  }
  const pending = encoding === 'gzip' ? gunzipAsync(payload, options) : inflateAsync(payload, options);
  return pending.catch((err: unknown) => {
    throw failure(err, maxBytes);
  });
}
