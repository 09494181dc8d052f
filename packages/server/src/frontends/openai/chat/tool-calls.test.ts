import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAiError } from '../openai-errors.js';
import { readChatMessages } from './chat-messages.js';
import { parseToolCall, readToolChoice, readTools, ToolCallStream, toolCallSchema } from './tool-calls.js';

const tools = readTools({
  tools: [
    {
      type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
    { type: 'function', function: { name: 'now' } },
  ],
});

test('tools and tool_choice are read and checked', () => {
  assert.deepEqual(
    tools.map((t) => t.name),
    ['get_weather', 'now'],
  );
  assert.deepEqual(tools[1]!.parameters, { type: 'object', properties: {} });
  assert.deepEqual(readToolChoice({}, tools), { kind: 'auto' });
  assert.deepEqual(readToolChoice({}, []), { kind: 'none' });
  assert.deepEqual(readToolChoice({ tool_choice: { type: 'function', function: { name: 'now' } } }, tools), {
    kind: 'function',
    name: 'now',
  });
  const param = (f: () => unknown, p: string): void =>
    assert.throws(f, (e: unknown) => e instanceof OpenAiError && e.param === p);
  param(() => readToolChoice({ tool_choice: 'required' }, []), 'tool_choice');
  param(() => readToolChoice({ tool_choice: { type: 'function', function: { name: 'x' } } }, tools), 'tool_choice');
  param(() => readTools({ tools: [{ type: 'function', function: { name: 'bad name' } }] }), 'tools[0].function.name');
  param(() => readTools({ tools: [{ type: 'web_search' }] }), 'tools[0]');
  param(() => readTools({ functions: [] }), 'functions');
});

test('the call schema: the chosen tool, or one of all; name first', () => {
  const named = toolCallSchema(tools, { kind: 'function', name: 'now' }) as { properties: Record<string, unknown> };
  assert.deepEqual(Object.keys(named.properties), ['name', 'arguments']);
  assert.deepEqual(named.properties['name'], { const: 'now' });
  assert.equal((toolCallSchema(tools, { kind: 'required' }) as { oneOf: unknown[] }).oneOf.length, 2);
});

test('an answer is a call only when it is exactly {name: <a tool>, arguments: {...}}', () => {
  assert.deepEqual(parseToolCall(' {"name": "now", "arguments": {}} ', tools), { name: 'now', arguments: '{}' });
  assert.equal(parseToolCall('{"name": "other", "arguments": {}}', tools), undefined);
  assert.equal(parseToolCall('{"name": "now"}', tools), undefined);
  assert.equal(parseToolCall('now()', tools), undefined);
});

test('a streamed call splits into the name, then argument pieces that join to the arguments', () => {
  const text = '{ "name": "get_weather", "arguments": { "city": "Os}lo", "n": {"a": 1}} }';
  for (const size of [1, 2, 3, 7, text.length]) {
    const stream = new ToolCallStream();
    const names: string[] = [];
    let args = '';
    for (let i = 0; i < text.length; i += size) {
      const out = stream.push(text.slice(i, i + size));
      if (out.name !== undefined) names.push(out.name);
      args += out.args;
    }
    args += stream.end().args;
    assert.deepEqual(names, ['get_weather']);
    assert.deepEqual(JSON.parse(args), { city: 'Os}lo', n: { a: 1 } });
  }
});

test('function calling history becomes text turns', () => {
  const messages = readChatMessages([
    { role: 'user', content: 'Weather?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '21 C' },
  ]);
  assert.deepEqual(messages.slice(1), [
    { role: 'assistant', content: '{"name":"get_weather","arguments":{"city":"Oslo"}}' },
    { role: 'user', content: 'Result of the call call_1 to get_weather: 21 C' },
  ]);
  assert.throws(
    () => readChatMessages([{ role: 'tool', content: 'x' }]),
    (e: unknown) => e instanceof OpenAiError && e.param === 'messages[0].tool_call_id',
  );
});
