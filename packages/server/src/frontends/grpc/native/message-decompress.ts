/**
 * Request message decompression (`grpc-encoding`: identity, gzip, deflate), with the size limit
 * applied to the decompressed bytes while inflating (`../../bounded-inflate.ts`): a bomb stops at
 * the limit. Small messages are inflated synchronously (cheaper than a thread-pool round trip) as
 * long as their output stays small; others asynchronously so the event loop keeps serving.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  inflateBounded,
  InflateLimitError,
  inflateSmall,
  SYNC_INFLATE_MAX_INPUT_BYTES,
} from '../../bounded-inflate.js';
import { InflateBusyError, type InflateBudget } from '../../inflate-budget.js';
import { WireStatusError } from './wire-status.js';

/** Compressed messages up to this size are tried on the event loop (see {@link decompressMessage}). */
export const SYNC_DECOMPRESS_MAX_BYTES = SYNC_INFLATE_MAX_INPUT_BYTES;

/** The `grpc-encoding` values the transport can read (also sent as `grpc-accept-encoding`). */
export const SUPPORTED_ENCODINGS: readonly string[] = ['identity', 'deflate', 'gzip'];

function failure(err: unknown, maxBytes: number): WireStatusError {
  if (err instanceof InflateBusyError) return new WireStatusError(GrpcStatus.RESOURCE_EXHAUSTED, err.message);
  if (err instanceof InflateLimitError) {
    return new WireStatusError(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `Received message that decompresses to a size larger than ${maxBytes}`,
    );
  }
  return new WireStatusError(GrpcStatus.INTERNAL, `Failed to decompress message: ${(err as Error).message}`);
}

/**
 * Decompresses a message whose compressed flag is set, with the call's `grpc-encoding`. Throws (or
 * rejects with) a {@link WireStatusError}: INTERNAL when the flag is set without an encoding or the
 * bytes are not valid, UNIMPLEMENTED for an encoding this server does not know, RESOURCE_EXHAUSTED
 * as soon as the output passes `maxBytes` (the same message as grpc-js), and RESOURCE_EXHAUSTED
 * "the server is busy decompressing other requests ..." when the server-wide `budget` cannot take
 * it (see `inflate-budget.ts`). A message of up to {@link SYNC_DECOMPRESS_MAX_BYTES} whose output
 * stays within 1 MiB is inflated synchronously, outside the budget.
 *
 * @example
 * ```ts
 * const bytes = compressed ? await decompressMessage(payload, headers['grpc-encoding'], max, budget) : payload;
 * ```
 */
export function decompressMessage(
  payload: Buffer,
  encoding: string | undefined,
  maxBytes: number,
  budget?: InflateBudget,
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
  if (payload.length <= SYNC_DECOMPRESS_MAX_BYTES) {
    let small: Buffer | undefined;
    try {
      small = inflateSmall(payload, encoding, maxBytes);
    } catch (err) {
      throw failure(err, maxBytes);
    }
    if (small !== undefined) return small;
  }
  return inflateBounded(payload, encoding, maxBytes, budget).catch((err: unknown) => {
    throw failure(err, maxBytes);
  });
}
