import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../../core/clock.js';
import { FakeCore } from '../http/fake-core.test-helper.js';
import { createHttpFrontend, type HttpFrontend } from '../http/http-server.js';
import { parseRestrictions } from '../restricted-apis.js';
import { LiveStats } from './live-stats.js';
import { CONSOLE_CSP, mountConsole, parseSince } from './mount-console.js';

const logger = pino({ level: 'silent' });
const clock: Clock = { nowNs: () => 0, wallMs: () => 90_500, setTimer: () => () => {} };
let assets: string;

before(async () => {
  assets = await mkdtemp(join(tmpdir(), 'console-assets-'));
  await writeFile(join(assets, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(assets, 'app.js'), 'export {};');
  await writeFile(join(assets, 'app.css'), 'body {}');
  await writeFile(join(assets, 'notes.txt'), 'not served');
});
after(() => rm(assets, { recursive: true, force: true }));

function frontend(restricted: string[] = []): HttpFrontend {
  const restrictions = parseRestrictions('http', restricted);
  const http = createHttpFrontend(new FakeCore(), { logger, restrictions });
  mountConsole(http.server, {
    stats: new LiveStats(clock),
    version: '1.2.3',
    assetsDir: assets,
    server: {
      ports: () => ({ http: 8000, grpc: 8001 }),
      controlMode: 'explicit',
      startedAtMs: 30_000,
      nowMs: () => clock.wallMs(),
      restrictions,
    },
  });
  return http;
}

describe('mountConsole', () => {
  test('GET / links to the console; the page, script and style carry the CSP; nothing else is served', async () => {
    const http = frontend();
    const root = await http.server.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 200);
    assert.match(root.body, /tensorgate 1\.2\.3/);
    assert.match(root.body, /href="\/console"/);
    for (const [url, type] of [
      ['/console', 'text/html'],
      ['/console/', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
    ] as const) {
      const res = await http.server.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), new RegExp(type), url);
      assert.equal(res.headers['content-security-policy'], CONSOLE_CSP, url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    }
    for (const url of ['/console/notes.txt', '/console/..%2Fpackage.json', '/console/x/y']) {
      assert.equal((await http.server.inject({ method: 'GET', url })).statusCode, 404, url);
    }
    await http.close();
  });

  test('the server facts: uptime, ports, control mode, restricted groups by header name only', async () => {
    const http = frontend(['model-repository,logging:x-admin=s3cret']);
    const res = await http.server.inject({ method: 'GET', url: '/console/api/server' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as Record<string, unknown>;
    assert.equal(body['uptime_s'], 60);
    assert.deepEqual(body['ports'], { http: 8000, grpc: 8001 });
    assert.equal(body['model_control_mode'], 'explicit');
    assert.deepEqual(body['restricted'], [
      { group: 'model-repository', header: 'x-admin' },
      { group: 'logging', header: 'x-admin' },
    ]);
    assert.doesNotMatch(res.body, /s3cret/);
    await http.close();
  });

  test('the API routes are in their groups (metadata, statistics); the files stay open', async () => {
    const http = frontend(['metadata,statistics:x-key=v']);
    for (const url of ['/console/api/server', '/console/api/stats']) {
      const refused = await http.server.inject({ method: 'GET', url });
      assert.equal(refused.statusCode, 403, url);
      assert.match(refused.body, /expecting header 'x-key'/);
      const allowed = await http.server.inject({ method: 'GET', url, headers: { 'x-key': 'v' } });
      assert.equal(allowed.statusCode, 200, url);
    }
    for (const url of ['/', '/console', '/console/app.js']) {
      assert.equal((await http.server.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    await http.close();
  });

  test('stats: rows after `since`; a bad `since` is a 400 naming it', async () => {
    const http = frontend();
    const ok = await http.server.inject({ method: 'GET', url: '/console/api/stats?since=0' });
    assert.deepEqual(ok.json(), { interval_ms: 1000, last: 0, models: [] });
    const bad = await http.server.inject({ method: 'GET', url: '/console/api/stats?since=-1' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /since must be a whole number of milliseconds/);
    assert.equal(parseSince(undefined), 0);
    assert.equal(parseSince('1796550485000'), 1796550485000);
    assert.throws(() => parseSince(['1', '2']), /since must be/);
    await http.close();
  });

  test('missing files stop start-up with a message saying how to build them', () => {
    const http = createHttpFrontend(new FakeCore(), { logger });
    assert.throws(
      () =>
        mountConsole(http.server, {
          stats: new LiveStats(clock),
          version: '1',
          assetsDir: join(assets, 'nope'),
          server: {
            ports: () => ({}),
            controlMode: 'none',
            startedAtMs: 0,
            nowMs: () => 0,
            restrictions: parseRestrictions('http', []),
          },
        }),
      /--console: the console's files are missing .*npm run build/,
    );
  });
});
