/**
 * The OpenAI-compatible API (`/v1`) driven by the official `openai` SDK against the echo LLM, a
 * decoupled JS model implementing the LLM contract: listing, completions and chat (plain and
 * streamed), usage, stop / max_tokens, errors as the SDK's error classes, the API key and
 * cancellation by AbortController.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { readEchoLog, writeEchoLlm, type EchoLlmOptions } from '../helpers/llm-echo-model.js';
import { EXAMPLES, eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let dir: string;
let logFile: string;
let s: TestServer;
let client: OpenAI;

/** The echo model's reply and streaming shape these tests spell out. */
const YOU_SAID: EchoLlmOptions = { replyPrefix: 'You said:', streamFinal: 'with-last-token' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-openai-'));
  logFile = join(dir, 'echo.jsonl');
  const repo = join(dir, 'repo');
  await writeEchoLlm(repo, 'echo', { ...YOU_SAID, logFile, maxQueueSize: 1 });
  await writeEchoLlm(repo, 'echo_text', { ...YOU_SAID, noChat: true });
  await cp(join(EXAMPLES, 'simple'), join(repo, 'simple'), { recursive: true });
  s = await startServer([], repo);
  client = new OpenAI({ baseURL: `${s.http}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function lastLoggedRequest(): Promise<Record<string, unknown>> {
  const entries = (await readEchoLog(logFile)).filter((e) => e['event'] === 'request');
  return entries[entries.length - 1]!;
}

describe('models', () => {
  test('models.list lists the LLM-contract models only', async () => {
    const page = await client.models.list();
    assert.deepEqual(
      page.data.map((m) => m.id),
      ['echo', 'echo_text'],
    );
    assert.equal(page.data[0]!.object, 'model');
    assert.equal((await client.models.retrieve('echo')).id, 'echo');
    await assert.rejects(client.models.retrieve('simple'), OpenAI.NotFoundError);
  });
});

describe('completions', () => {
  test('a plain completion, with usage and finish_reason', async () => {
    const c = await client.completions.create({ model: 'echo', prompt: 'hello world', temperature: 0, seed: 7 });
    assert.equal(c.object, 'text_completion');
    assert.match(c.id, /^cmpl-/);
    assert.equal(c.model, 'echo');
    assert.equal(c.choices[0]!.text, 'You said: hello world');
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(c.usage, { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
    const logged = await lastLoggedRequest();
    assert.deepEqual(logged['sampling'], { temperature: 0, seed: 7 });
    assert.equal(logged['exclude'], true);
    assert.equal(logged['stream'], false);
  });

  test('penalties, logit_bias, logprobs and user reach the model as sampling_parameters', async () => {
    await client.completions.create({
      model: 'echo',
      prompt: 'x',
      presence_penalty: 0.5,
      frequency_penalty: -0.25,
      logit_bias: { '12': -100, '7': 3 },
      logprobs: 2,
      user: 'user-42',
      best_of: 1,
    });
    assert.deepEqual((await lastLoggedRequest())['sampling'], {
      presence_penalty: 0.5,
      frequency_penalty: -0.25,
      logit_bias: { '12': -100, '7': 3 },
      logprobs: 2,
    });
    await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_object' },
      logprobs: true,
      top_logprobs: 4,
    });
    assert.deepEqual((await lastLoggedRequest())['sampling'], { guided_decoding: { json_object: true }, logprobs: 4 });
  });

  test('max_tokens gives finish_reason length; stop gives stop; echo repeats the prompt', async () => {
    const long = await client.completions.create({ model: 'echo', prompt: 'a b c d e', max_tokens: 3 });
    assert.equal(long.choices[0]!.text, 'You said: a');
    assert.equal(long.choices[0]!.finish_reason, 'length');
    const stopped = await client.completions.create({ model: 'echo', prompt: 'one two three', stop: ['two'] });
    assert.equal(stopped.choices[0]!.text, 'You said: one ');
    assert.equal(stopped.choices[0]!.finish_reason, 'stop');
    const echoed = await client.completions.create({ model: 'echo', prompt: 'hi', echo: true });
    assert.equal(echoed.choices[0]!.text, 'hiYou said: hi');
  });

  test('a streamed completion: text chunks, finish_reason on the last', async () => {
    const stream = await client.completions.create({ model: 'echo', prompt: 'hello world', stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(
      chunks.map((c) => c.choices[0]!.text),
      ['You', ' said:', ' hello', ' world'],
    );
    assert.deepEqual(
      chunks.map((c) => c.choices[0]!.finish_reason),
      [null, null, null, 'stop'],
    );
    for (const c of chunks) assert.equal(c.object, 'text_completion');
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  });
});

describe('chat completions', () => {
  test('a plain chat completion; text parts are joined and sent as chat_messages', async () => {
    const c = await client.chat.completions.create({
      model: 'echo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hello' },
            { type: 'text', text: 'there' },
          ],
        },
      ],
      max_completion_tokens: 50,
    });
    assert.equal(c.object, 'chat.completion');
    assert.match(c.id, /^chatcmpl-/);
    assert.deepEqual(c.choices[0]!.message.role, 'assistant');
    assert.equal(c.choices[0]!.message.content, 'You said: hello there');
    assert.equal(c.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(c.usage, { prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
    const logged = await lastLoggedRequest();
    assert.deepEqual(logged['messages'], [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello\nthere' },
    ]);
    assert.deepEqual(logged['sampling'], { max_tokens: 50 });
  });

  test('a streamed chat completion with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'one two three' }],
      max_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.filter((c) => c.choices.length > 0);
    assert.deepEqual(content[0]!.choices[0]!.delta, { role: 'assistant', content: '' });
    assert.equal(content.map((c) => c.choices[0]!.delta.content ?? '').join(''), 'You said: one two');
    assert.equal(content[content.length - 1]!.choices[0]!.finish_reason, 'length');
    for (const c of content.slice(0, -1)) assert.equal(c.choices[0]!.finish_reason, null);
    const last = chunks[chunks.length - 1]!;
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    for (const c of chunks.slice(0, -1)) assert.equal(c.usage, null);
    for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
  });
});

describe('errors', () => {
  test('invalid requests are 400 BadRequestError with the offending param', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'x' }], n: 9 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'n',
    );
    // A field tensorgate does not know is refused, named, as OpenAI refuses one it does not know.
    await assert.rejects(
      client.chat.completions.create({
        model: 'echo',
        messages: [{ role: 'user', content: 'x' }],
        reasoning_effort: 'high',
      }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && e.param === 'reasoning_effort' && /Unrecognized/.test(e.message),
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'x' }], store: true }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'store',
    );
    await assert.rejects(
      client.chat.completions.create({
        model: 'echo',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }],
      }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /image_url/.test(e.message),
    );
    await assert.rejects(
      client.completions.create({ model: 'echo', prompt: 'x', presence_penalty: 3 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'presence_penalty',
    );
    await assert.rejects(
      client.completions.create({ model: 'echo', prompt: 'x', temperature: 5 }),
      OpenAI.BadRequestError,
    );
    // A completions-only model refuses chat; a non-LLM model refuses both.
    await assert.rejects(
      client.chat.completions.create({ model: 'echo_text', messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /chat_messages/.test(e.message),
    );
    await assert.rejects(client.completions.create({ model: 'simple', prompt: 'x' }), OpenAI.BadRequestError);
  });

  test('bad JSON is a 400 in OpenAI error shape', async () => {
    const r = await fetch(`${s.http}/v1/chat/completions`, { method: 'POST', body: '{"model":' });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: Record<string, unknown> };
    assert.equal(body.error['type'], 'invalid_request_error');
    assert.equal(typeof body.error['message'], 'string');
    assert.ok('param' in body.error && 'code' in body.error);
  });

  test('an unknown model is 404 NotFoundError', async () => {
    await assert.rejects(
      client.completions.create({ model: 'no_such_model', prompt: 'x' }),
      (e: unknown) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === 'model_not_found',
    );
  });

  test('a full model queue is 429 RateLimitError; aborting a stream cancels it in the model', async () => {
    const controller = new AbortController();
    const stream = await client.completions.create(
      { model: 'echo', prompt: 'slow please', stream: true },
      { signal: controller.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    // The echo model holds at most one request (max_queue_size 1), like the llm backend's queue.
    await assert.rejects(
      client.completions.create({ model: 'echo', prompt: 'x' }),
      (e: unknown) => e instanceof OpenAI.RateLimitError && e.status === 429 && /max_queue_size/.test(e.message),
    );
    controller.abort();
    await it.return?.();
    await eventually(async () => (await readEchoLog(logFile)).some((e) => e['event'] === 'cancelled'));
    // Once the cancelled request has left the model, it accepts requests again.
    await eventually(async () => {
      try {
        await client.completions.create({ model: 'echo', prompt: 'x' });
        return true;
      } catch {
        return false;
      }
    });
  });
});

describe('API key', () => {
  let keyed: TestServer;
  let keyDir: string;
  before(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'tg-openai-key-'));
    await writeEchoLlm(keyDir, 'echo', YOU_SAID);
    keyed = await startServer(['--openai-api-key', 'sk-test-123'], keyDir);
  });
  after(async () => {
    await keyed.close();
    await rm(keyDir, { recursive: true, force: true });
  });

  test('a wrong or missing key is 401 AuthenticationError; the right key works; /v2 stays open', async () => {
    const wrong = new OpenAI({ baseURL: `${keyed.http}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(
      wrong.models.list(),
      (e: unknown) => e instanceof OpenAI.AuthenticationError && e.status === 401,
    );
    const bare = await fetch(`${keyed.http}/v1/models`);
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { error: { type: string } }).error.type, 'authentication_error');
    const right = new OpenAI({ baseURL: `${keyed.http}/v1`, apiKey: 'sk-test-123', maxRetries: 0 });
    assert.deepEqual(
      (await right.models.list()).data.map((m) => m.id),
      ['echo'],
    );
    const c = await right.chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(c.choices[0]!.message.content, 'You said: hi');
    assert.equal((await fetch(`${keyed.http}/v2/health/ready`)).status, 200);
  });
});

describe('smoke: the example llm model (llm backend)', { skip: !existsSync(join(EXAMPLES, 'llm')) }, () => {
  let llm: TestServer;
  let repo: { path: string; remove(): Promise<void> };
  before(async () => {
    repo = await tempRepository(['llm']);
    llm = await startServer([], repo.path);
  });
  after(async () => {
    await llm.close();
    await repo.remove();
  });

  test('models.list, chat (plain) and completions (streamed) through the openai SDK', async () => {
    const sdk = new OpenAI({ baseURL: `${llm.http}/v1`, apiKey: 'unused', maxRetries: 0 });
    assert.deepEqual(
      (await sdk.models.list()).data.map((m) => m.id),
      ['llm'],
    );
    const chat = await sdk.chat.completions.create({
      model: 'llm',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 4,
      temperature: 0,
    });
    assert.equal(typeof chat.choices[0]!.message.content, 'string');
    assert.equal(chat.choices[0]!.finish_reason, 'length');
    assert.equal(chat.usage?.completion_tokens, 4);
    assert.ok((chat.usage?.prompt_tokens ?? 0) > 0);

    const stream = await sdk.completions.create({
      model: 'llm',
      prompt: 'Hi',
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks[chunks.length - 1]!.usage?.completion_tokens, 3);
    assert.equal(chunks.filter((c) => c.choices.length > 0).at(-1)!.choices[0]!.finish_reason, 'length');
  });

  test('the README example runs against it', async () => {
    const readme = await readFile(new URL('../../../../README.md', import.meta.url), 'utf8');
    const code = /<!-- openai-example:start -->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(code !== undefined, 'README.md has no openai-example block');
    const file = join(repo.path, 'readme-example.mjs');
    await writeFile(
      file,
      code
        .replace("from 'openai'", `from '${import.meta.resolve('openai')}'`)
        .replace('http://localhost:8000', llm.http),
    );
    const { stdout } = await promisify(execFile)(process.execPath, [file], { env: { ...process.env } });
    assert.match(stdout, /completion_tokens/);
  });
});
