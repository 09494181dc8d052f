// What a custom service handler's thrown value becomes on the wire.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statusOfThrown } from './handler-status.js';

describe('statusOfThrown', () => {
  test('a numeric or named gRPC code is kept, with details or the message', () => {
    assert.deepEqual(statusOfThrown({ code: 5, details: 'gone' }), { code: 5, serverCode: '', details: 'gone' });
    assert.deepEqual(statusOfThrown(Object.assign(new Error('no'), { code: 'PERMISSION_DENIED' })), {
      code: 7,
      serverCode: '',
      details: 'no',
    });
  });

  test("the server's codes (a model call's error) cross as themselves, for the frontend's mapping", () => {
    assert.deepEqual(statusOfThrown(Object.assign(new Error('bad shape'), { code: 'INVALID_ARG' })), {
      code: -1,
      serverCode: 'INVALID_ARG',
      details: 'bad shape',
    });
  });

  test('anything else is UNKNOWN with its message (OK, out-of-range and odd codes too)', () => {
    assert.deepEqual(statusOfThrown(new Error('boom')), { code: 2, serverCode: '', details: 'boom' });
    assert.deepEqual(statusOfThrown({ code: 0, message: 'zero' }), { code: 2, serverCode: '', details: 'zero' });
    assert.deepEqual(statusOfThrown({ code: 99, message: 'x' }), { code: 2, serverCode: '', details: 'x' });
    assert.deepEqual(statusOfThrown('text'), { code: 2, serverCode: '', details: 'text' });
  });
});
