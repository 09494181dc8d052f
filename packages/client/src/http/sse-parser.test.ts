import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readSseEvents, SseParser, type SseEvent } from './sse-parser.js';

const parseAll = (chunks: string[]): SseEvent[] => {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
};

describe('SseParser', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: done\ndata: x\ndata: y\nid: 7\n\n';
  const expected: SseEvent[] = [
    { event: 'message', data: '{"a":1}', id: '' },
    { event: 'done', data: 'x\ny', id: '7' },
  ];

  test('parses events, comments, multi-line data, event types and ids', () => {
    assert.deepEqual(parseAll([stream]), expected);
  });

  test('gives the same events however the text is split, one character at a time included', () => {
    assert.deepEqual(parseAll([...stream]), expected);
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(parseAll([stream.slice(0, cut), stream.slice(cut)]), expected, `cut at ${cut}`);
    }
  });

  test('CRLF and CR line ends, also with CR and LF in different chunks', () => {
    assert.deepEqual(parseAll(['data: a\r\n\r\ndata: b\r\rdata:c\n\n']), [
      { event: 'message', data: 'a', id: '' },
      { event: 'message', data: 'b', id: '' },
      { event: 'message', data: 'c', id: '' },
    ]);
    assert.deepEqual(parseAll(['data: a\r', '\n\r', '\n']), [{ event: 'message', data: 'a', id: '' }]);
  });

  test('a field without a colon, an empty data line, and an unterminated last event', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('data\n\ndata:\ndata: z\n\ndata: lost'), [
      { event: 'message', data: '', id: '' },
      { event: 'message', data: '\nz', id: '' },
    ]);
    assert.deepEqual(p.end(), []);
  });
});

test('readSseEvents decodes UTF-8 split across chunks', async () => {
  const bytes = new TextEncoder().encode('data: "héllo ✓"\n\n');
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const b of bytes) c.enqueue(new Uint8Array([b]));
      c.close();
    },
  });
  const events: SseEvent[] = [];
  for await (const e of readSseEvents(body)) events.push(e);
  assert.deepEqual(events, [{ event: 'message', data: '"héllo ✓"', id: '' }]);
});
