/**
 * The OpenAI API features that need a real language model, through the official `openai` SDK
 * against the example `llm` (the tiny generated GGUF served by the llm backend): JSON output by
 * schema and json_object, function calling (forced and named, plain and streamed, and the round
 * trip with the tool result), log-probabilities (chat and completions), `n` > 1 and `logit_bias`;
 * and `/v1/embeddings` against the example `embedding` (the tiny generated embedding GGUF).
 * The tiny model's tokens are near-random, so these assert what the grammar and the API guarantee
 * (valid JSON matching the schema, shapes, counts), never the words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { Ajv } from 'ajv';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let repo: { path: string; remove(): Promise<void> };
let client: OpenAI;

before(async () => {
  repo = await tempRepository(['llm', 'embedding']);
  // The same model with a stream interval (deferred-chunks.ts).
  const interval = join(repo.path, 'llm_interval');
  await cp(join(repo.path, 'llm'), interval, { recursive: true });
  const config = await readFile(join(interval, 'config.pbtxt'), 'utf8');
  await writeFile(
    join(interval, 'config.pbtxt'),
    config.replace('name: "llm"', 'name: "llm_interval"') +
      '\nparameters {\n  key: "stream_interval_ms"\n  value { string_value: "20" }\n}\n',
  );
  s = await startServer([], repo.path);
  client = new OpenAI({ baseURL: `${s.http}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await s.close();
  await repo.remove();
});

const user = (content: string): OpenAI.ChatCompletionMessageParam => ({ role: 'user', content });

const WEATHER_PARAMETERS = {
  type: 'object',
  properties: {
    city: { type: 'string', enum: ['Paris', 'Oslo', 'Lima'] },
    // A random model writes digits forever: the enum keeps the call short (a real model stops by itself).
    days: { type: 'integer', enum: [1, 3, 7] },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city', 'days', 'unit'],
  additionalProperties: false,
} as const;

const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: { name: 'get_weather', description: 'The forecast for a city', parameters: WEATHER_PARAMETERS },
  },
  {
    type: 'function',
    function: { name: 'get_time', description: 'The time now', parameters: { type: 'object', properties: {} } },
  },
];

const validateWeather = new Ajv().compile(WEATHER_PARAMETERS);

describe('response_format', () => {
  test('json_schema: the answer parses and validates against the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 12 },
        age: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 3 },
        ok: { type: 'boolean' },
      },
      required: ['name', 'age', 'tags', 'ok'],
      additionalProperties: false,
      title: 'Person',
    };
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({
        model: 'llm',
        messages: [user('Describe a person as JSON')],
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
        temperature: 1,
        seed,
        max_tokens: 120,
      });
      const content = r.choices[0]!.message.content!;
      const value: unknown = JSON.parse(content);
      const validate = new Ajv().compile(schema);
      assert.ok(validate(value), `${content}: ${JSON.stringify(validate.errors)}`);
      assert.equal(r.choices[0]!.finish_reason, 'stop');
    }
  });

  test('json_object: the answer is a JSON object', async () => {
    const r = await client.chat.completions.create({
      model: 'llm',
      messages: [user('Answer in JSON')],
      response_format: { type: 'json_object' },
      temperature: 0,
      max_tokens: 64,
    });
    const value: unknown = JSON.parse(r.choices[0]!.message.content!);
    assert.equal(typeof value, 'object');
  });

  test('a schema keyword the grammar cannot enforce is refused, named', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'llm',
        messages: [user('x')],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { type: 'object', properties: { z: { type: 'string', pattern: '^a' } } } },
        },
      }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && /'pattern'/.test(e.message) && /\/properties\/z/.test(e.message),
    );
  });
});

describe('tools', () => {
  test('tool_choice required: a valid call, then the round trip with its result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [user('What is the weather in Oslo?')];
    const r = await client.chat.completions.create({
      model: 'llm',
      messages,
      tools: TOOLS,
      tool_choice: 'required',
      temperature: 0,
      max_tokens: 100,
    });
    const choice = r.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.match(call.id, /^call_/);
    assert.ok(['get_weather', 'get_time'].includes(call.function.name));
    const args: unknown = JSON.parse(call.function.arguments);
    if (call.function.name === 'get_weather') assert.ok(validateWeather(args), call.function.arguments);
    else assert.deepEqual(args, {});

    const followUp = await client.chat.completions.create({
      model: 'llm',
      messages: [...messages, choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' }],
      tools: TOOLS,
      tool_choice: 'auto',
      max_tokens: 8,
      temperature: 0,
    });
    assert.equal(typeof followUp.choices[0]!.message.content, 'string');
    assert.equal(followUp.choices[0]!.message.tool_calls, undefined);
    // The call and its result were part of the prompt (the tools are described in both).
    assert.ok(followUp.usage!.prompt_tokens > r.usage!.prompt_tokens);
  });

  test('a named tool_choice, streamed: tool_calls deltas as OpenAI sends them', async () => {
    const request: OpenAI.ChatCompletionCreateParamsNonStreaming = {
      model: 'llm',
      messages: [user('Weather in Lima for 3 days?')],
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0,
      max_tokens: 100,
    };
    const argumentsOf = (m: OpenAI.ChatCompletionMessage): string => {
      const call = m.tool_calls![0]!;
      assert.ok(call.type === 'function');
      return call.function.arguments;
    };
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    const reasons: Array<string | null> = [];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        deltas.push(...(c.delta.tool_calls ?? []));
        reasons.push(c.finish_reason);
        assert.equal(c.delta.content ?? null, null);
      }
    }
    assert.ok(deltas.length >= 2, 'the arguments come in pieces');
    const [head, ...rest] = deltas;
    assert.equal(head!.index, 0);
    assert.match(head!.id!, /^call_/);
    assert.equal(head!.type, 'function');
    assert.equal(head!.function!.name, 'get_weather');
    for (const d of rest) assert.deepEqual(Object.keys(d).sort(), ['function', 'index']);
    const args = deltas.map((d) => d.function?.arguments ?? '').join('');
    assert.ok(validateWeather(JSON.parse(args)), args);
    assert.deepEqual(JSON.parse(args), JSON.parse(argumentsOf(whole.choices[0]!.message)));
    assert.equal(reasons.at(-1), 'tool_calls');

    // The SDK's stream helper assembles the same call.
    const runner = client.chat.completions.stream({ ...request, stream: true });
    const final = await runner.finalChatCompletion();
    assert.deepEqual(JSON.parse(argumentsOf(final.choices[0]!.message)), JSON.parse(args));
  });

  test('tool_choice naming an unknown function, and legacy functions, are refused', async () => {
    await assert.rejects(
      client.chat.completions.create({
        model: 'llm',
        messages: [user('x')],
        tools: TOOLS,
        tool_choice: { type: 'function', function: { name: 'nope' } },
      }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'tool_choice',
    );
    await assert.rejects(
      client.chat.completions.create({
        model: 'llm',
        messages: [user('x')],
        functions: [{ name: 'f', parameters: {} }],
      }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'functions',
    );
  });
});

describe('logprobs, n and logit_bias', () => {
  test('chat logprobs: one entry per token, with top_logprobs, plain and streamed', async () => {
    const r = await client.chat.completions.create({
      model: 'llm',
      messages: [user('Hello')],
      logprobs: true,
      top_logprobs: 3,
      max_tokens: 6,
      temperature: 0,
    });
    const content = r.choices[0]!.logprobs!.content!;
    assert.equal(content.length, r.usage!.completion_tokens);
    assert.equal(content.map((t) => t.token).join(''), r.choices[0]!.message.content);
    for (const t of content) {
      assert.ok(t.logprob <= 0);
      assert.equal(t.top_logprobs.length, 3);
      assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[2]!.logprob);
      assert.deepEqual(t.bytes, [...Buffer.from(t.token)]);
    }
    // Greedy: the sampled token is the most likely one.
    assert.equal(content[0]!.token, content[0]!.top_logprobs[0]!.token);

    const stream = await client.chat.completions.create({
      model: 'llm',
      messages: [user('Hello')],
      logprobs: true,
      max_tokens: 6,
      temperature: 0,
      stream: true,
    });
    const streamed = [];
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    assert.deepEqual(
      streamed.map((t) => t.token),
      content.map((t) => t.token),
    );
    for (const t of streamed) assert.deepEqual(t.top_logprobs, []);
  });

  test('completions logprobs: the legacy object', async () => {
    const r = await client.completions.create({
      model: 'llm',
      prompt: 'Hi',
      logprobs: 2,
      max_tokens: 5,
      temperature: 0,
    });
    const lp = r.choices[0]!.logprobs!;
    assert.equal(lp.tokens!.length, 5);
    assert.equal(lp.tokens!.join(''), r.choices[0]!.text);
    assert.equal(lp.token_logprobs!.length, 5);
    assert.equal(Object.keys(lp.top_logprobs![0]!).length <= 2, true);
    assert.equal(lp.text_offset![0], 0);
  });

  test('n > 1: one choice per generation, plain and streamed; a seed makes them reproducible', async () => {
    const request = { model: 'llm', messages: [user('Hi')], n: 3, max_tokens: 5, temperature: 1, seed: 11 };
    const a = await client.chat.completions.create(request);
    assert.deepEqual(
      a.choices.map((c) => c.index),
      [0, 1, 2],
    );
    assert.equal(a.usage!.completion_tokens, 15);
    const b = await client.chat.completions.create(request);
    assert.deepEqual(
      b.choices.map((c) => c.message.content),
      a.choices.map((c) => c.message.content),
    );
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const texts = ['', '', ''];
    const finished = new Set<number>();
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        if (c.finish_reason !== null) finished.add(c.index);
      }
    }
    assert.deepEqual([...finished].sort(), [0, 1, 2]);
    assert.deepEqual(
      texts,
      a.choices.map((c) => c.message.content),
    );
  });

  test('logit_bias +100 on one token makes every token that token', async () => {
    const r = await client.completions.create({
      model: 'llm',
      prompt: 'Hi',
      logit_bias: { '300': 100 },
      logprobs: 0,
      max_tokens: 4,
      temperature: 1,
      seed: 3,
    });
    const tokens = r.choices[0]!.logprobs!.tokens!;
    assert.equal(tokens.length, 4);
    assert.equal(new Set(tokens).size, 1);
    await assert.rejects(
      client.completions.create({ model: 'llm', prompt: 'Hi', logit_bias: { '999999': 1 } }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /vocabulary/.test(e.message),
    );
  });
});

describe('stream_interval_ms', () => {
  test('the streamed text and usage are those of the model without an interval', async () => {
    const run = async (model: string): Promise<{ text: string; chunks: number; usage: unknown }> => {
      const stream = await client.completions.create({
        model,
        prompt: 'Once upon a time',
        max_tokens: 24,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let chunks = 0;
      let usage: unknown;
      for await (const c of stream) {
        if (c.choices.length > 0) {
          text += c.choices[0]!.text;
          chunks++;
        }
        usage = c.usage ?? usage;
      }
      return { text, chunks, usage };
    };
    const plain = await run('llm');
    const merged = await run('llm_interval');
    assert.equal(merged.text, plain.text);
    assert.deepEqual(merged.usage, plain.usage);
    assert.ok(merged.chunks >= 2 && merged.chunks <= plain.chunks, `${merged.chunks} chunks`);
  });
});

describe('embeddings', () => {
  test('one vector of the model dimension per input, as floats and as the SDK’s default base64', async () => {
    const models = (await client.models.list()).data.map((m) => m.id);
    assert.deepEqual(models, ['embedding', 'llm', 'llm_interval']);
    const one = await client.embeddings.create({ model: 'embedding', input: 'hello world', encoding_format: 'float' });
    assert.equal(one.object, 'list');
    assert.equal(one.data.length, 1);
    assert.equal(one.data[0]!.embedding.length, 64);
    assert.ok(one.data[0]!.embedding.every((x) => Number.isFinite(x)));
    assert.ok(one.usage.prompt_tokens > 0);
    assert.equal(one.usage.total_tokens, one.usage.prompt_tokens);

    // The SDK asks for base64 by default and decodes it: the same numbers (float32).
    const many = await client.embeddings.create({ model: 'embedding', input: ['hello world', 'a different text'] });
    assert.deepEqual(
      many.data.map((d) => d.index),
      [0, 1],
    );
    for (const d of many.data) assert.equal(d.embedding.length, 64);
    assert.deepEqual(many.data[0]!.embedding, one.data[0]!.embedding);
    assert.notDeepEqual(many.data[1]!.embedding, many.data[0]!.embedding);
    assert.equal((await client.embeddings.create({ model: 'embedding', input: 'x', dimensions: 64 })).data.length, 1);
  });

  test('refusals: a language model, token ids, other dimensions, empty input', async () => {
    await assert.rejects(
      client.embeddings.create({ model: 'llm', input: 'x' }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'model',
    );
    await assert.rejects(
      client.embeddings.create({ model: 'embedding', input: [1, 2, 3] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'input',
    );
    await assert.rejects(
      client.embeddings.create({ model: 'embedding', input: 'x', dimensions: 32 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'dimensions' && /64/.test(e.message),
    );
    await assert.rejects(
      client.embeddings.create({ model: 'embedding', input: [] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'input',
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'embedding', messages: [user('x')] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /not a language model/.test(e.message),
    );
  });
});
