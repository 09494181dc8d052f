/**
 * A client that goes away before the infer handler runs (for example while a gzip body is still
 * being decompressed on the thread pool) must still cancel its request: nobody is left to read
 * the answer, and a slow model would otherwise hold its instance for nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { createHttpFrontend } from './http-server.js';

const GOOD_JSON = JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [3], datatype: 'FP32', data: [1, 2.5, -3] }] });

describe('HTTP infer and client disconnects', () => {
  test('a client gone before the handler starts still cancels the core request', { timeout: 30_000 }, async () => {
    const core = new FakeCore();
    const http = createHttpFrontend(core, { logger: pino({ level: 'silent' }) });
    // Stands in for the asynchronous body decoding: hold the request until its client is gone.
    http.server.addHook('preHandler', async (request) => {
      const socket = request.raw.socket;
      if (!socket.destroyed) await once(socket, 'close');
    });
    const port = await http.listen(0, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v2/models/slow/infer' });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.end(GOOD_JSON, () => setImmediate(() => req.destroy()));
      });
      await core.cancelled;
      assert.equal(core.lastContext?.signal.aborted, true);
    } finally {
      await http.close();
    }
  });
});
