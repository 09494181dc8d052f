import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, InferenceError } from '../../core/errors.js';
import { toHttpFailure } from './error-handler.js';
import { httpStatusFor, HttpStatusError } from './http-status.js';

test('every error code maps to an HTTP error status', () => {
  for (const code of ERROR_CODES) {
    const status = httpStatusFor(code);
    assert.ok(status >= 400 && status <= 599, `${code} -> ${status}`);
  }
});

test('the rows Triton clients rely on', () => {
  assert.equal(httpStatusFor('INTERNAL'), 500);
  assert.equal(httpStatusFor('NOT_FOUND'), 404);
  assert.equal(httpStatusFor('UNAVAILABLE'), 503);
  assert.equal(httpStatusFor('UNSUPPORTED'), 501);
  assert.equal(httpStatusFor('INVALID_ARG'), 400);
  assert.equal(httpStatusFor('ALREADY_EXISTS'), 400);
  assert.equal(httpStatusFor('UNKNOWN'), 400);
  assert.equal(httpStatusFor('RESOURCE_EXHAUSTED'), 429);
  assert.equal(httpStatusFor('CANCELLED'), 499);
  assert.equal(httpStatusFor('DEADLINE_EXCEEDED'), 504);
});

test('toHttpFailure covers inference, HTTP-level, fastify and unknown errors', () => {
  assert.deepEqual(toHttpFailure(new InferenceError('NOT_FOUND', 'gone'), 10), {
    status: 404,
    message: 'gone',
    headers: {},
  });
  assert.equal(
    toHttpFailure(new HttpStatusError(415, 'enc', { 'accept-encoding': 'gzip' }), 10).headers['accept-encoding'],
    'gzip',
  );
  const tooLarge = Object.assign(new Error('Request body is too large'), {
    statusCode: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });
  assert.deepEqual(toHttpFailure(tooLarge, 1234), {
    status: 413,
    message: 'request body is larger than the limit of 1234 bytes',
    headers: {},
  });
  assert.equal(toHttpFailure(new Error('boom'), 10).status, 500);
  assert.equal(toHttpFailure('weird', 10).message, 'weird');
});
