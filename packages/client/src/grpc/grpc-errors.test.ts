import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromGrpcError } from './grpc-errors.js';

const grpcError = (code: number, details: string) => Object.assign(new Error(details), { code, details });

test('grpc-js failures that never reached a server are notDelivered', () => {
  for (const details of [
    'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1',
    'round_robin: No connection established. Last error: null',
    'Stream refused by server',
  ]) {
    const e = fromGrpcError(grpcError(14, details), 'r');
    assert.equal(e.code, 'UNAVAILABLE');
    assert.equal(e.notDelivered, true, details);
  }
  const lost = fromGrpcError(grpcError(14, 'Connection dropped'), 'r');
  assert.equal(lost.notDelivered, false);
  assert.equal(fromGrpcError(grpcError(5, 'No connection established'), 'r').notDelivered, false, 'only UNAVAILABLE');
});

test('a lost connection that grpc-js reports as INTERNAL is UNAVAILABLE; a server INTERNAL stays', () => {
  const epipe = fromGrpcError(
    grpcError(13, 'Received RST_STREAM with code 2 triggered by internal client error: write EPIPE'),
    'r',
  );
  assert.equal(epipe.code, 'UNAVAILABLE');
  assert.equal(epipe.status, 13);
  assert.equal(epipe.notDelivered, false);
  const ended = fromGrpcError(grpcError(13, 'Received RST_STREAM with code 0 (Call ended without gRPC status)'), 'r');
  assert.equal(ended.code, 'UNAVAILABLE');
  assert.equal(ended.notDelivered, false);
  assert.equal(fromGrpcError(grpcError(13, 'model crashed: EPIPE in user code'), 'r').code, 'INTERNAL');
});
