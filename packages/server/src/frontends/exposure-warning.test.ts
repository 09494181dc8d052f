import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, openAdminApisWarning } from './exposure-warning.js';
import { ApiRestrictions, parseRestrictions } from './restricted-apis.js';

const open = new ApiRestrictions();

describe('isLoopbackHost', () => {
  test('loopback addresses and localhost', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(host), host);
    }
  });
  test('wildcards, other addresses and names', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.5',
      '192.168.1.1',
      '::ffff:10.0.0.1',
      'example.com',
      '128.0.0.1',
      '',
    ]) {
      assert.ok(!isLoopbackHost(host), host);
    }
  });
});

describe('openAdminApisWarning', () => {
  test('nothing on loopback, however open', () => {
    assert.equal(openAdminApisWarning({ host: '127.0.0.1', http: open, grpc: open }), undefined);
  });

  test('beyond loopback with nothing restricted: one warning naming the groups, protocols and flags', () => {
    const w = openAdminApisWarning({ host: '0.0.0.0', http: open, grpc: open })!;
    // Both protocols serve the trace settings (HTTP /v2/trace/setting, gRPC TraceSetting).
    const all = ['model-repository', 'trace', 'logging'];
    assert.deepEqual(w.open, { http: all, grpc: all });
    assert.match(w.message, /--host 0\.0\.0\.0/);
    assert.match(w.message, /HTTP \(model-repository, trace, logging\) and gRPC \(model-repository, trace, logging\)/);
    assert.match(w.message, /--http-restricted-api model-repository,trace,logging:<header>=<secret>/);
    assert.match(w.message, /--grpc-restricted-protocol model-repository,trace,logging:<header>=<secret>/);
  });

  test('only the groups still open, only on enabled protocols', () => {
    const w = openAdminApisWarning({
      host: '10.1.2.3',
      http: parseRestrictions('http', ['model-repository:k=v']),
      grpc: undefined,
    })!;
    assert.deepEqual(w.open, { http: ['trace', 'logging'] });
    assert.doesNotMatch(w.message, /gRPC/);
  });

  test('none once every administrative group is restricted (other groups may stay open)', () => {
    assert.equal(
      openAdminApisWarning({
        host: '::',
        http: parseRestrictions('http', ['model-repository,trace,logging:k=v']),
        grpc: parseRestrictions('grpc', ['model-repository:k=v', 'trace,logging:k2=v2']),
      }),
      undefined,
    );
    assert.equal(openAdminApisWarning({ host: '0.0.0.0', http: undefined, grpc: undefined }), undefined);
  });
});
