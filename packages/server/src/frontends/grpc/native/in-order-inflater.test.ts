/** Message order behind asynchronous decompression: a recording sink sees exactly what a call would. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { InOrderInflater, type InflateSink } from './in-order-inflater.js';
import { SYNC_DECOMPRESS_MAX_BYTES } from './message-decompress.js';
import { WireStatusError } from './wire-status.js';

/** Records every call the inflater makes, in order; `done` can be flipped like a call ending. */
class RecordingSink implements InflateSink {
  done = false;
  readonly events: string[] = [];
  readonly errors: unknown[] = [];
  private settled: (() => void) | undefined;

  deliverBytes(bytes: Buffer): void {
    this.events.push(`bytes:${bytes.length}`);
  }
  deliverEnd(): void {
    this.events.push('end');
    this.settled?.();
  }
  inflateFailed(err: unknown): void {
    this.events.push('failed');
    this.errors.push(err);
    this.done = true;
    this.settled?.();
  }
  pauseForInflate(): void {
    this.events.push('pause');
  }
  resumeAfterInflate(): void {
    this.events.push('resume');
    this.settled?.();
  }
  /** Resolves at the next end, failure or resume (not at a pause). */
  next(): Promise<void> {
    return new Promise((resolve) => (this.settled = resolve));
  }
}

/** A gzip message large enough to be inflated on the thread pool. */
function bigGzip(size = SYNC_DECOMPRESS_MAX_BYTES * 4): Buffer {
  const compressed = gzipSync(randomBytes(size));
  assert.ok(compressed.length > SYNC_DECOMPRESS_MAX_BYTES);
  return compressed;
}

describe('InOrderInflater', () => {
  test('plain and small compressed messages are delivered at once, then the end', () => {
    const sink = new RecordingSink();
    const inflater = new InOrderInflater(sink, 'gzip', 1 << 24);
    inflater.message(false, Buffer.alloc(3));
    inflater.message(true, gzipSync(Buffer.alloc(10)));
    inflater.end();
    assert.deepEqual(sink.events, ['bytes:3', 'bytes:10', 'end']);
    assert.equal(inflater.waiting, false);
  });

  test('messages and the end behind an asynchronous inflate keep their order; the stream pauses meanwhile', async () => {
    const sink = new RecordingSink();
    const inflater = new InOrderInflater(sink, 'gzip', 1 << 24);
    const size = SYNC_DECOMPRESS_MAX_BYTES * 4;
    inflater.message(false, Buffer.alloc(1));
    inflater.message(true, bigGzip(size));
    inflater.message(false, Buffer.alloc(2));
    inflater.message(true, bigGzip(size + 1));
    inflater.message(false, Buffer.alloc(3));
    inflater.end();
    assert.deepEqual(sink.events, ['bytes:1', 'pause'], 'everything after the large message waits');
    assert.equal(inflater.waiting, true);
    await sink.next();
    assert.deepEqual(sink.events, [
      'bytes:1',
      'pause',
      `bytes:${size}`,
      'bytes:2',
      'pause',
      `bytes:${size + 1}`,
      'bytes:3',
      'end',
      'resume',
    ]);
    assert.equal(inflater.waiting, false);
  });

  test('a message that cannot be inflated fails the call and nothing after it is delivered', async () => {
    const sink = new RecordingSink();
    const inflater = new InOrderInflater(sink, 'gzip', 1000);
    inflater.message(true, bigGzip());
    inflater.message(false, Buffer.alloc(1));
    inflater.end();
    await sink.next();
    assert.deepEqual(sink.events, ['pause', 'failed']);
    const err = sink.errors[0];
    assert.ok(err instanceof WireStatusError && err.code === status.RESOURCE_EXHAUSTED, String(err));
  });

  test('a synchronous failure (unknown encoding) is reported at once', () => {
    const sink = new RecordingSink();
    new InOrderInflater(sink, 'br', 1 << 24).message(true, Buffer.alloc(4));
    assert.deepEqual(sink.events, ['failed']);
    const err = sink.errors[0];
    assert.ok(err instanceof WireStatusError && err.code === status.UNIMPLEMENTED, String(err));
  });

  test('a call that ended while inflating gets nothing more', async () => {
    const sink = new RecordingSink();
    const inflater = new InOrderInflater(sink, 'gzip', 1 << 24);
    inflater.message(true, bigGzip());
    inflater.message(false, Buffer.alloc(1));
    inflater.end();
    sink.done = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(sink.events, ['pause']);
  });
});
