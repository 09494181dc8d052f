/**
 * Backpressure of ModelStreamInfer: a client that keeps writing requests but stops reading
 * responses must not make the server accept ever more work. The session runs over an in-memory
 * duplex standing in for the grpc-js call, whose write side is only acknowledged when the test
 * says so (a client that does not read).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { encodeElements, type ModelInferRequestMessage } from '@tensorgate/protocol';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { StreamInferSession, type StreamInferCall } from './stream-infer-handler.js';

/** A call whose written messages wait for {@link FakeCall.drainAll}, like a client that stopped reading. */
class FakeCall extends Duplex {
  readonly written: unknown[] = [];
  private readonly pending: Array<() => void> = [];
  private reading = false;

  constructor() {
    super({ objectMode: true, readableHighWaterMark: 4, writableHighWaterMark: 4 });
  }
  override _read(): void {}
  override _write(chunk: unknown, _enc: BufferEncoding, done: () => void): void {
    this.written.push(chunk);
    if (this.reading) done();
    else this.pending.push(done);
  }
  getDeadline(): number {
    return Infinity;
  }
  /** The client starts reading: every pending and future write completes. */
  drainAll(): void {
    this.reading = true;
    for (const done of this.pending.splice(0)) done();
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const echo = (id: string): ModelInferRequestMessage =>
  ({
    model_name: 'echo',
    model_version: '',
    id,
    inputs: [{ name: 'A', datatype: 'INT32', shape: [1] }],
    outputs: [],
    raw_input_contents: [encodeElements('INT32', [1])],
  }) as unknown as ModelInferRequestMessage;

describe('ModelStreamInfer backpressure', () => {
  test('stops reading requests while responses cannot be written, resumes on drain', async () => {
    const core = new FakeCore();
    const call = new FakeCall();
    new StreamInferSession(core, pino({ level: 'silent' }), call as unknown as StreamInferCall);

    const total = 100;
    for (let i = 0; i < total; i++) {
      call.push(echo(String(i)));
      await tick();
    }
    call.push(null); // the client half-closes
    await tick();
    const startedWhileBlocked = core.contexts.length;
    assert.ok(
      startedWhileBlocked < total / 2,
      `the session kept reading while no response could be written: ${startedWhileBlocked} of ${total} requests started`,
    );

    call.drainAll();
    const finished = new Promise<void>((resolve) => call.once('finish', resolve));
    await finished;
    assert.equal(core.contexts.length, total, 'every request runs once the client reads again');
    assert.equal(call.written.length, total);
  });
});
