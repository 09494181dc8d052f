import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, InferenceError } from '../../core/errors.js';
import { boundGrpcDetails, grpcStatusOf, MAX_GRPC_MESSAGE_BYTES, toGrpcError } from './grpc-status.js';

const EXPECTED = {
  UNKNOWN: status.UNKNOWN,
  INTERNAL: status.INTERNAL,
  NOT_FOUND: status.NOT_FOUND,
  INVALID_ARG: status.INVALID_ARGUMENT,
  UNAVAILABLE: status.UNAVAILABLE,
  UNSUPPORTED: status.UNIMPLEMENTED,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  CANCELLED: status.CANCELLED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
} as const;

test('every error code maps to its gRPC status', () => {
  for (const code of ERROR_CODES) assert.equal(grpcStatusOf(code), EXPECTED[code], code);
});

test('toGrpcError keeps the core message; other errors become INTERNAL; AbortError becomes CANCELLED', () => {
  assert.deepEqual(toGrpcError(new InferenceError('NOT_FOUND', "model 'x' is not found")), {
    code: status.NOT_FOUND,
    details: "model 'x' is not found",
  });
  assert.deepEqual(toGrpcError(new TypeError('boom')), { code: status.INTERNAL, details: 'boom' });
  assert.equal(toGrpcError(new DOMException('aborted', 'AbortError')).code, status.CANCELLED);
});

test('status messages fit the grpc-message trailer once percent-encoded, non-ASCII included', () => {
  const encoded = (text: string): number => {
    let n = 0;
    for (const b of Buffer.from(text, 'utf8')) n += b >= 0x20 && b <= 0x7e && b !== 0x25 ? 1 : 3;
    return n;
  };
  for (const name of ['n'.repeat(100_000), 'é'.repeat(4000), '%'.repeat(4000), '😀'.repeat(2000)]) {
    const details = toGrpcError(new InferenceError('NOT_FOUND', `unknown model '${name}' is not found`)).details;
    assert.ok(encoded(details) <= MAX_GRPC_MESSAGE_BYTES, `${encoded(details)} bytes`);
    assert.match(details, /' is not found$/);
  }
  assert.equal(boundGrpcDetails("model 'x' is not found"), "model 'x' is not found");
});
