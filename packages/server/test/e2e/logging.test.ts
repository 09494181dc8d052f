/**
 * Triton's logging extension: HTTP /v2/logging and gRPC LogSettings share one state.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcClient, unary, unaryError } from '../helpers/grpc-client.js';
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

  // As Triton: the log file is never chosen over the network, even set to what it is.
  for (const log_file of ['', '/tmp/tensorgate.log']) {
    const file = await fetch(`${s.http}/v2/logging`, { method: 'POST', body: JSON.stringify({ log_file }) });
    assert.equal(file.status, 501);
    assert.equal(
      ((await file.json()) as { error: string }).error,
      'log file location can not be updated through network protocol',
    );
  }
  const grpcFile = grpcClient(s.grpcPort);
  try {
    const e = await unaryError(grpcFile, 'LogSettings', { settings: { log_file: { string_param: '' } } });
    assert.equal(e.code, 12); // UNIMPLEMENTED
    assert.equal(e.details, 'log file location can not be updated through network protocol');
  } finally {
    grpcFile.close();
  }

  const md = (await (await fetch(`${s.http}/v2`)).json()) as { extensions: string[] };
  assert.ok(md.extensions.includes('logging'));
});
