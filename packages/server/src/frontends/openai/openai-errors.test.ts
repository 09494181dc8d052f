import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, InferenceError } from '../../core/errors.js';
import { OpenAiError, openAiStatusFor, toOpenAiFailure } from './openai-errors.js';

test('every error code has an OpenAI status; the ones clients act on are exact', () => {
  for (const code of ERROR_CODES) assert.ok(openAiStatusFor(code).status >= 400, code);
  assert.equal(openAiStatusFor('INVALID_ARG').status, 400);
  assert.equal(openAiStatusFor('NOT_FOUND').status, 404);
  assert.equal(openAiStatusFor('RESOURCE_EXHAUSTED').status, 429);
  assert.equal(openAiStatusFor('INTERNAL').status, 500);
  assert.equal(openAiStatusFor('UNAVAILABLE').status, 503);
});

test('failures are in OpenAI shape, with param and code when known', () => {
  assert.deepEqual(toOpenAiFailure(new OpenAiError(400, 'n must be 1', { param: 'n', code: 'invalid_value' })), {
    status: 400,
    body: { error: { message: 'n must be 1', type: 'invalid_request_error', param: 'n', code: 'invalid_value' } },
  });
  assert.deepEqual(toOpenAiFailure(new InferenceError('RESOURCE_EXHAUSTED', 'queue full')), {
    status: 429,
    body: { error: { message: 'queue full', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } },
  });
  const fastifyError = Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  assert.equal(toOpenAiFailure(fastifyError).status, 413);
  assert.equal(toOpenAiFailure(new Error('boom')).status, 500);
});
