/**
 * The Redis store against a real redis-server: entries round-trip; a Redis that is down, or that
 * stops answering (DEBUG SLEEP), fails lookups and insertions at once or after socket_timeout,
 * counted, never thrown; the warning is logged once per burst and the recovery once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { parseCacheConfig, RedisCacheStore, type RedisCacheConfig } from 'tensorgate';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { eventually } from '../helpers/servers.js';

let redis: TestRedis;
before(async () => {
  redis = await startRedis(['--enable-debug-command', 'yes']);
});
after(async () => {
  await redis.kill();
});

function logger(): {
  warn: string[];
  info: string[];
  warnFn: (o: object, m: string) => void;
  infoFn: (o: object, m: string) => void;
} {
  const warn: string[] = [];
  const info: string[] = [];
  return { warn, info, warnFn: (_o, m) => warn.push(m), infoFn: (_o, m) => info.push(m) };
}

function config(port: number): RedisCacheConfig {
  return parseCacheConfig([
    'redis,host=127.0.0.1',
    `redis,port=${port}`,
    'redis,socket_timeout=200',
  ]) as RedisCacheConfig;
}

/** Sends one raw command on its own connection (DEBUG SLEEP blocks the whole server). */
function rawCommand(port: number, command: string): void {
  const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
  socket.on('data', () => socket.destroy());
  socket.on('error', () => undefined);
}

test('entries round-trip; a server that stops answering fails commands after socket_timeout, counted', async () => {
  const log = logger();
  const store = new RedisCacheStore(config(redis.port), { warn: log.warnFn, info: log.infoFn });
  try {
    await store.ready();
    assert.equal(await store.set('k1', Buffer.from('hello')), true);
    const got = await store.get('k1');
    assert.ok('hit' in got);
    assert.equal(Buffer.from(got.hit).toString(), 'hello');
    assert.deepEqual(await store.get('absent'), { miss: true });
    rawCommand(redis.port, 'DEBUG SLEEP 2');
    // Eventually the sleep has begun: a lookup then fails by socket_timeout instead of waiting 2 s.
    await eventually(async () => 'failed' in (await store.get('k1')), 50, 20);
    assert.ok(store.failures >= 1);
    assert.equal(log.warn.length, 1, 'one warning per burst');
    await eventually(async () => 'hit' in (await store.get('k1')), 100, 100);
    assert.equal(log.info.length, 1, 'the recovery is logged once');
  } finally {
    await store.close();
  }
});

test('a Redis that is down: lookups and insertions fail without throwing, counted', async () => {
  const down = await startRedis();
  const port = down.port;
  await down.kill();
  const log = logger();
  const store = new RedisCacheStore(config(port), { warn: log.warnFn, info: log.infoFn });
  try {
    await assert.rejects(store.ready());
    assert.deepEqual(await store.get('k'), { miss: true, failed: true });
    assert.equal(await store.set('k', Buffer.from('x')), false);
    assert.equal(store.failures, 2);
    assert.equal(log.warn.length, 1);
  } finally {
    await store.close();
  }
});
