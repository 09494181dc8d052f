/**
 * Writes a large response message to its HTTP/2 stream a slice at a time, with at most two slices
 * queued, so that the stream's own progress can be seen. node:http2 shows nothing of a stream's
 * flow-control window and completes a write only once all of it has gone out: a 64 MiB message
 * written at once looks the same whether the client reads it slowly or grants no window at all.
 * Written in slices, each completed slice is progress (`sentBytes − writableLength` grows), which
 * is what the send-stall check of the connection guard compares. Two slices stay queued, so
 * nghttp2 always has the next one when a slice completes; on the loopback the cost did not show
 * against one write of 19 MiB (~12 ms per response either way).
 */
import type { ServerHttp2Stream } from 'node:http2';

/**
 * Slice size: a client reading slower than one slice per send-stall timeout (~1 KiB/s with the
 * 60 s default) cannot be told from one that does not read.
 */
export const SEND_SLICE_BYTES = 64 * 1024;

/** Where the bytes handed to the stream are counted. */
export interface SentBytesCounter {
  sentBytes: number;
}

/** A stream write callback. */
export type WriteCallback = (err?: Error | null) => void;

/**
 * Writes `payload` to `stream` in {@link SEND_SLICE_BYTES} slices, two queued at a time; ends the
 * stream with the last slice when `end`, else calls `callback` once the last slice is written (or
 * at the first failed slice, with its error).
 *
 * @example
 * ```ts
 * stream.write(messagePrefix(payload.length));
 * writePaced(stream, payload, false, callback, transport);
 * ```
 */
export function writePaced(
  stream: ServerHttp2Stream,
  payload: Buffer,
  end: boolean,
  callback: WriteCallback | undefined,
  counter: SentBytesCounter,
): void {
  let offset = 0;
  let failed = false;
  const onLast: WriteCallback = (err) => {
    if (!failed) callback?.(err);
  };
  const next: WriteCallback = (err) => {
    if (failed) return;
    if (err) {
      failed = true;
      callback?.(err);
      return;
    }
    if (offset >= payload.length) return;
    const stop = Math.min(payload.length, offset + SEND_SLICE_BYTES);
    const slice = payload.subarray(offset, stop);
    offset = stop;
    counter.sentBytes += slice.length;
    if (stop < payload.length) stream.write(slice, next);
    else if (end) stream.end(slice);
    else stream.write(slice, onLast);
  };
  next();
  next();
}
