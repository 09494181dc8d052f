import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerHttp2Stream } from 'node:http2';
import { Writable } from 'node:stream';
import { SEND_SLICE_BYTES, writePaced } from './paced-write.js';

/** A writable completing each write on a later turn, recording the most writes outstanding at once. */
function sink(failAt = -1): { stream: Writable; chunks: Buffer[]; maxOutstanding: () => number } {
  const chunks: Buffer[] = [];
  let outstanding = 0;
  let max = 0;
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(() => callback(chunks.length === failAt ? new Error('reset') : null));
    },
  });
  const write = stream.write.bind(stream);
  stream.write = ((chunk: Buffer, cb?: (err?: Error | null) => void) => {
    outstanding += 1;
    max = Math.max(max, outstanding);
    return write(chunk, (err) => {
      outstanding -= 1;
      cb?.(err);
    });
  }) as typeof stream.write;
  stream.on('error', () => undefined);
  return { stream, chunks, maxOutstanding: () => max };
}

const payload = Buffer.from(Array.from({ length: SEND_SLICE_BYTES * 5 + 123 }, (_, i) => i % 251));

test('writes the payload in order, in slices, at most two outstanding; the callback once at the end', async () => {
  const { stream, chunks, maxOutstanding } = sink();
  const counter = { sentBytes: 0 };
  let calls = 0;
  await new Promise<void>((resolve) => {
    writePaced(
      stream as unknown as ServerHttp2Stream,
      payload,
      false,
      () => {
        calls += 1;
        resolve();
      },
      counter,
    );
  });
  assert.deepEqual(Buffer.concat(chunks), payload);
  assert.equal(chunks.length, 6);
  assert.ok(chunks.every((c) => c.length <= SEND_SLICE_BYTES));
  assert.ok(maxOutstanding() <= 2, `outstanding ${maxOutstanding()}`);
  assert.equal(counter.sentBytes, payload.length);
  await new Promise((r) => setImmediate(r));
  assert.equal(calls, 1);
});

test('with end, the last slice ends the stream', async () => {
  const { stream, chunks } = sink();
  writePaced(stream as unknown as ServerHttp2Stream, payload, true, undefined, { sentBytes: 0 });
  await new Promise((resolve) => stream.once('finish', resolve));
  assert.deepEqual(Buffer.concat(chunks), payload);
});

test('a failed slice stops the writing and calls back once, with its error', async () => {
  const { stream, chunks } = sink(2);
  const errors: Array<Error | null | undefined> = [];
  writePaced(stream as unknown as ServerHttp2Stream, payload, false, (err) => errors.push(err), { sentBytes: 0 });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /reset/);
  assert.ok(chunks.length < 6);
});
