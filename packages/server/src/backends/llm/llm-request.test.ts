import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBytesElements } from '@tensorgate/protocol';
import { InferenceError } from '../../core/errors.js';
import type { Tensor } from '../../core/types.js';
import { decodeGenerationRequest, parseChatMessages } from './llm-request.js';

const str = (name: string, v: string): Tensor => ({
  name,
  datatype: 'BYTES',
  shape: [1],
  data: encodeBytesElements([v]),
});
const bool = (name: string, v: boolean): Tensor => ({
  name,
  datatype: 'BOOL',
  shape: [1],
  data: Uint8Array.of(v ? 1 : 0),
});
const invalid = (re: RegExp) => (e: unknown) =>
  e instanceof InferenceError && e.code === 'INVALID_ARG' && re.test(e.message);

test('text_input: the prompt is repeated only for stream=false without exclude_input_in_output', () => {
  const g = decodeGenerationRequest([str('text_input', 'Hi'), str('sampling_parameters', '{"max_tokens": 3}')]);
  assert.equal(g.prompt, 'Hi');
  assert.equal(g.stream, false);
  assert.equal(g.includePrompt, true);
  assert.equal(g.sampling.maxTokens, 3);
  assert.equal(decodeGenerationRequest([str('text_input', 'Hi'), bool('stream', true)]).includePrompt, false);
  assert.equal(
    decodeGenerationRequest([str('text_input', 'Hi'), bool('exclude_input_in_output', true)]).includePrompt,
    false,
  );
});

test('chat_messages: never repeated; OpenAI text parts joined', () => {
  const g = decodeGenerationRequest([
    str(
      'chat_messages',
      JSON.stringify([
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ]),
    ),
  ]);
  assert.deepEqual(g.chat, [{ role: 'user', content: 'ab' }]);
  assert.equal(g.includePrompt, false);
});

test('errors', () => {
  assert.throws(() => decodeGenerationRequest([]), invalid(/one of text_input or chat_messages is required/));
  assert.throws(
    () => decodeGenerationRequest([str('text_input', 'a'), str('chat_messages', '[{"role":"user","content":"b"}]')]),
    invalid(/not both/),
  );
  const badUtf8: Tensor = {
    name: 'text_input',
    datatype: 'BYTES',
    shape: [1],
    data: encodeBytesElements([Uint8Array.of(0xff)]),
  };
  assert.throws(() => decodeGenerationRequest([badUtf8]), invalid(/not valid UTF-8/));
  assert.throws(() => parseChatMessages('{}'), invalid(/non-empty JSON array/));
  assert.throws(() => parseChatMessages('[]'), invalid(/non-empty JSON array/));
  assert.throws(() => parseChatMessages('[1]'), invalid(/chat_messages\[0\] must be an object/));
  assert.throws(
    () => parseChatMessages('[{"role":"user","content":5}]'),
    invalid(/chat_messages\[0\]\.content must be a string/),
  );
  assert.throws(
    () => parseChatMessages('[{"role":"user","content":[{"type":"image_url"}]}]'),
    invalid(/only text parts/),
  );
  // A deep role would overflow JSON.stringify in the message naming it.
  assert.throws(
    () => parseChatMessages(`[{"role":${'['.repeat(100_000)}${']'.repeat(100_000)},"content":"x"}]`),
    invalid(/^chat_messages is nested too deeply \(more than 64 levels of arrays and objects\)$/),
  );
});
