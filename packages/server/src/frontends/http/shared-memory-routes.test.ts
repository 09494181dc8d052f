/**
 * Triton's shared-memory endpoints (`/v2/systemsharedmemory/...`, `/v2/cudasharedmemory/...`):
 * tensorgate does not offer shared memory, and says so (501, as docs/errors.md and the gRPC
 * frontend do) instead of answering "no route".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { createHttpFrontend } from './http-server.js';

describe('shared-memory endpoints', () => {
  const http = createHttpFrontend(new FakeCore(), { logger: pino({ level: 'silent' }) });

  for (const kind of ['systemsharedmemory', 'cudasharedmemory']) {
    const cases: Array<['GET' | 'POST', string]> = [
      ['GET', `/v2/${kind}/status`],
      ['GET', `/v2/${kind}/region/r0/status`],
      ['POST', `/v2/${kind}/region/r0/register`],
      ['POST', `/v2/${kind}/unregister`],
      ['POST', `/v2/${kind}/region/r0/unregister`],
    ];
    for (const [method, url] of cases) {
      test(`${method} ${url} answers 501 saying shared memory is not supported`, async () => {
        const res =
          method === 'POST'
            ? await http.server.inject({ method, url, payload: '{"key":"k","offset":0,"byte_size":8}' })
            : await http.server.inject({ method, url });
        assert.equal(res.statusCode, 501);
        assert.deepEqual(res.json(), { error: 'shared memory is not supported by tensorgate' });
      });
    }
    test(`${kind}: a wrong method is 405, as on every known path`, async () => {
      const res = await http.server.inject({ method: 'GET', url: `/v2/${kind}/region/r0/register` });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers['allow'], 'POST');
    });
  }
});
