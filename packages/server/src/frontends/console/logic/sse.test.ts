import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseReader } from './sse.js';

test('events split across chunks, CRLF, multi-line data and comments', () => {
  const r = new SseReader();
  assert.deepEqual(r.feed('data: {"a"'), []);
  assert.deepEqual(r.feed(':1}\n\ndata: x\r\n\r\n: comment\n\n'), ['{"a":1}', 'x']);
  assert.deepEqual(r.feed('event: e\ndata: one\ndata:two\n\n'), ['one\ntwo']);
  assert.deepEqual(r.feed('data: tail'), []);
});
