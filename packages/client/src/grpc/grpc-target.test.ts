import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceServerError } from '../errors.js';
import { channelOptions } from './grpc-channel.js';
import { grpcTarget } from './grpc-target.js';

test('single targets pass through to grpc-js as they are', () => {
  for (const t of [
    'localhost:8001',
    'dns:///tensorgate-headless.ml.svc:8001',
    'ipv4:10.0.0.1:8001,10.0.0.2:8001',
    'unix:/tmp/s',
  ]) {
    assert.equal(grpcTarget(t), t);
  }
  assert.equal(grpcTarget(['dns:///x:8001']), 'dns:///x:8001');
});

test('address lists become ipv4: / ipv6: multi-address targets', () => {
  assert.equal(grpcTarget(['127.0.0.1:1', '127.0.0.2:2']), 'ipv4:127.0.0.1:1,127.0.0.2:2');
  assert.equal(grpcTarget('127.0.0.1:1, 127.0.0.1:2'), 'ipv4:127.0.0.1:1,127.0.0.1:2');
  assert.equal(grpcTarget('[::1]:1,[fd00::2]:2'), 'ipv6:[::1]:1,[fd00::2]:2');
});

test('names, missing ports and mixed families in a list are refused with the way out', () => {
  const refused = (t: string | string[], re: RegExp) =>
    assert.throws(
      () => grpcTarget(t),
      (e: unknown) => e instanceof InferenceServerError && e.code === 'INVALID_ARG' && re.test(e.message),
    );
  refused(['a.example:8001', 'b.example:8001'], /got 'a\.example:8001'.*dns:\/\/\/name:port/);
  refused('127.0.0.1,127.0.0.2:8001', /got '127\.0\.0\.1'/);
  refused(['127.0.0.1:1', '[::1]:2'], /all IPv4 or all IPv6/);
  refused([], /needs a target/);
});

test('channel options: round_robin and keepalive within the server ping policy by default', () => {
  const o = channelOptions({});
  assert.deepEqual(JSON.parse(String(o['grpc.service_config'])), { loadBalancingConfig: [{ round_robin: {} }] });
  assert.equal(o['grpc.keepalive_time_ms'], 360_000);
  assert.equal(o['grpc.keepalive_timeout_ms'], 20_000);
  assert.equal(o['grpc.keepalive_permit_without_calls'], 0);
  const p = channelOptions({ loadBalancing: 'pick_first', keepalive: false });
  assert.deepEqual(JSON.parse(String(p['grpc.service_config'])), { loadBalancingConfig: [{ pick_first: {} }] });
  assert.equal(p['grpc.keepalive_time_ms'], undefined);
  assert.equal(channelOptions({ keepalive: { timeMs: 600_000 } })['grpc.keepalive_time_ms'], 600_000);
});
