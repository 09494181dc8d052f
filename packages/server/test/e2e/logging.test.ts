/**
 * Triton's logging extension: HTTP /v2/logging and gRPC LogSettings share one state.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { startServer, type TestServer } from '../helpers/servers.js';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.close();
});

test('read and change log settings over HTTP; gRPC sees the change; bad settings are 400', async () => {
  const initial = (await (await fetch(`${s.http}/v2/logging`)).json()) as Record<string, unknown>;
  assert.equal(initial['log_verbose_level'], 0);

  const r = await fetch(`${s.http}/v2/logging`, { method: 'POST', body: JSON.stringify({ log_verbose_level: 1 }) });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as Record<string, unknown>)['log_verbose_level'], 1);

  const client = grpcClient(s.grpcPort);
  try {
    const g = await unary(client, 'LogSettings', {});
    assert.equal(g['settings'].log_verbose_level.uint32_param, 1);
  } finally {
    client.close();
  }

  const bad = await fetch(`${s.http}/v2/logging`, { method: 'POST', body: JSON.stringify({ no_such_setting: true }) });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /no_such_setting/);
  const wrongType = await fetch(`${s.http}/v2/logging`, { method: 'POST', body: JSON.stringify({ log_info: 'yes' }) });
  assert.equal(wrongType.status, 400);

  const md = (await (await fetch(`${s.http}/v2`)).json()) as { extensions: string[] };
  assert.ok(md.extensions.includes('logging'));
});
