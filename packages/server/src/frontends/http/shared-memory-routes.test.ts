/**
 * Triton's shared-memory endpoints (`/v2/systemsharedmemory/...`, `/v2/cudasharedmemory/...`) on
 * the HTTP frontend: client regions off by default (status answers, changes are 501 with Triton's
 * message), the register body's fields, and 405 for a wrong method.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeCore } from './fake-core.test-helper.js';
import { createHttpFrontend } from './http-server.js';
import { CLIENT_SHM_DISABLED, SharedMemoryRegistry } from '../shared-memory/system-shared-memory.js';

const logger = pino({ level: 'silent' });

describe('shared-memory endpoints, client shared memory off (default)', () => {
  const http = createHttpFrontend(new FakeCore(), { logger });

  for (const kind of ['systemsharedmemory', 'cudasharedmemory']) {
    test(`GET /v2/${kind}/status lists no regions`, async () => {
      const res = await http.server.inject({ method: 'GET', url: `/v2/${kind}/status` });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), []);
    });
    for (const url of [
      `/v2/${kind}/region/r0/register`,
      `/v2/${kind}/unregister`,
      `/v2/${kind}/region/r0/unregister`,
    ]) {
      test(`POST ${url} answers 501 with Triton's message`, async () => {
        const res = await http.server.inject({ method: 'POST', url, payload: '{"key":"k","offset":0,"byte_size":8}' });
        assert.equal(res.statusCode, 501);
        assert.deepEqual(res.json(), { error: CLIENT_SHM_DISABLED });
      });
    }
    test(`${kind}: a wrong method is 405, as on every known path`, async () => {
      const res = await http.server.inject({ method: 'GET', url: `/v2/${kind}/region/r0/register` });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers['allow'], 'POST');
    });
  }
});

describe('shared-memory endpoints, client shared memory on', () => {
  test("register needs a region name, a 'key' and a 'byte_size'; status shows what was registered", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-shm-'));
    writeFileSync(join(dir, 'obj'), Buffer.alloc(32));
    const sharedMemory = new SharedMemoryRegistry({ allowClientShm: true, dir });
    const http = createHttpFrontend(new FakeCore(), { logger, sharedMemory });
    try {
      const post = (url: string, payload: string) => http.server.inject({ method: 'POST', url, payload });
      const noName = await post('/v2/systemsharedmemory/register', '{"key":"/obj","byte_size":8}');
      assert.deepEqual(noName.json(), { error: "'region name' is necessary to register system shared memory region" });
      const noSize = await post('/v2/systemsharedmemory/region/r/register', '{"key":"/obj"}');
      assert.deepEqual(noSize.json(), { error: "Shared memory register request has no 'byte_size' field" });
      const badOffset = await post(
        '/v2/systemsharedmemory/region/r/register',
        '{"key":"/obj","offset":-1,"byte_size":8}',
      );
      assert.equal(badOffset.statusCode, 400);
      const ok = await post('/v2/systemsharedmemory/region/r/register', '{"key":"/obj","offset":8,"byte_size":24}');
      assert.equal(ok.statusCode, 200);
      const st = await http.server.inject({ method: 'GET', url: '/v2/systemsharedmemory/status' });
      assert.deepEqual(st.json(), [{ name: 'r', key: '/obj', offset: 8, byte_size: 24 }]);
      const cuda = await http.server.inject({ method: 'GET', url: '/v2/cudasharedmemory/region/r/status' });
      assert.deepEqual(cuda.json(), {
        error: "The region named 'r' is registered as system shared memory, not CUDA shared memory",
      });
    } finally {
      await sharedMemory.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
