/**
 * Triton's shared-memory endpoints (`/v2/systemsharedmemory/...`, `/v2/cudasharedmemory/...`):
 * tensorgate cannot register regions (501, as docs/errors.md says), so status lists none and
 * unregistering succeeds as a no-op, which is what client clean-up code expects.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { createHttpFrontend } from './http-server.js';

describe('shared-memory endpoints', () => {
  const http = createHttpFrontend(new FakeCore(), { logger: pino({ level: 'silent' }) });

  for (const [kind, word] of [
    ['systemsharedmemory', 'system'],
    ['cudasharedmemory', 'cuda'],
  ] as const) {
    test(`${kind}: register is 501 saying shared memory is not supported`, async () => {
      for (const url of [`/v2/${kind}/region/r0/register`]) {
        const res = await http.server.inject({ method: 'POST', url, payload: '{"key":"k","offset":0,"byte_size":8}' });
        assert.equal(res.statusCode, 501);
        assert.deepEqual(res.json(), { error: 'shared memory is not supported by tensorgate' });
      }
    });
    test(`${kind}: status lists no regions; a named region is 404`, async () => {
      const all = await http.server.inject({ method: 'GET', url: `/v2/${kind}/status` });
      assert.equal(all.statusCode, 200);
      assert.deepEqual(all.json(), []);
      const one = await http.server.inject({ method: 'GET', url: `/v2/${kind}/region/r0/status` });
      assert.equal(one.statusCode, 404);
      assert.deepEqual(one.json(), { error: `Unable to find ${word} shared memory region: 'r0'` });
    });
    test(`${kind}: unregister (all or one) succeeds with nothing to do`, async () => {
      for (const url of [`/v2/${kind}/unregister`, `/v2/${kind}/region/r0/unregister`]) {
        const res = await http.server.inject({ method: 'POST', url });
        assert.equal(res.statusCode, 200, url);
      }
    });
    test(`${kind}: a wrong method is 405, as on every known path`, async () => {
      const res = await http.server.inject({ method: 'GET', url: `/v2/${kind}/region/r0/register` });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers['allow'], 'POST');
    });
  }
});
