import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CacheConfigError, describeCacheConfig, parseCacheConfig } from './cache-config.js';

test('no entries: no cache', () => {
  assert.equal(parseCacheConfig([]), undefined);
});

test('local,size=N', () => {
  assert.deepEqual(parseCacheConfig(['local,size=1048576']), { kind: 'local', sizeBytes: 1048576 });
});

test('redis entries add up, with defaults for the timeouts', () => {
  assert.deepEqual(parseCacheConfig(['redis,host=localhost', 'redis,port=6379', 'redis,password=p,w=x']), {
    kind: 'redis',
    host: 'localhost',
    port: 6379,
    db: 0,
    connectTimeoutMs: 1000,
    socketTimeoutMs: 100,
    password: 'p,w=x',
  });
});

test('redis TLS keys', () => {
  const c = parseCacheConfig([
    'redis,host=h',
    'redis,port=1',
    'redis,tls_enabled=true',
    'redis,cacert=/ca.pem',
    'redis,cert=/c.pem',
    'redis,key=/k.pem',
    'redis,sni=redis.internal',
  ]);
  assert.deepEqual(c?.kind === 'redis' ? c.tls : undefined, {
    caFile: '/ca.pem',
    certFile: '/c.pem',
    keyFile: '/k.pem',
    sni: 'redis.internal',
  });
});

test('bad entries are refused, naming them', () => {
  const cases: Array<[string[], RegExp]> = [
    [['local'], /expected '<cache>,<key>=<value>'/],
    [['memcached,size=1'], /unknown cache 'memcached'/],
    [['local,size=1', 'redis,host=h'], /only one cache/],
    [['local,bytes=1'], /unknown local cache setting 'bytes'/],
    [['local,size=abc'], /size must be an integer/],
    [['local,size=0'], /size must be between 1/],
    [['redis,host=h'], /'port=<port>' is required/],
    [['redis,port=1'], /'host=<host>' is required/],
    [['redis,host=h', 'redis,port=70000'], /port must be between 1 and 65535/],
    [['redis,host=h', 'redis,port=1', 'redis,pool_size=4'], /'pool_size' is not supported/],
    [['redis,host=h', 'redis,port=1', 'redis,wait_timeout=4'], /'wait_timeout' is not supported/],
    [['redis,host=h', 'redis,port=1', 'redis,socket_timeout=0'], /socket_timeout=0 \(wait forever\) is refused/],
    [['redis,host=h', 'redis,port=1', 'redis,cacert=/x'], /'cacert' has no effect without redis,tls_enabled=true/],
    [['redis,host=h', 'redis,port=1', 'redis,tls_enabled=yes'], /tls_enabled must be true or false/],
    [['redis,host=h', 'redis,port=1', 'redis,tls_enabled=true', 'redis,cert=/c'], /'cert' and 'key' go together/],
    [['redis,host=h', 'redis,port=1', 'redis,hots=x'], /unknown redis cache setting 'hots'/],
  ];
  for (const [entries, message] of cases) {
    assert.throws(
      () => parseCacheConfig(entries),
      (e: unknown) => e instanceof CacheConfigError && message.test(e.message),
    );
  }
});

test('the description for logs hides the password', () => {
  const c = parseCacheConfig(['redis,host=h', 'redis,port=1', 'redis,password=s3cret'])!;
  assert.doesNotMatch(JSON.stringify(describeCacheConfig(c)), /s3cret/);
});
