/**
 * Triton's generate extension on the wire (`/generate`, `/generate_stream`) against the echo LLM, a
 * decoupled JS model implementing the LLM contract.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEchoLog, writeEchoLlm } from '../helpers/llm-echo-model.js';
import { EXAMPLES, eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let dir: string;
let logFile: string;
let s: TestServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-generate-'));
  logFile = join(dir, 'echo.jsonl');
  await writeEchoLlm(join(dir, 'repo'), 'echo', { logFile, replyPrefix: 'You said:', streamFinal: 'with-last-token' });
  s = await startServer([], join(dir, 'repo'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (route: string, body: unknown, model = 'echo'): Promise<Response> =>
  fetch(`${s.http}/v2/models/${model}/${route}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** Parses an SSE body into its `data:` payloads, checking the framing. */
function sseEvents(text: string): Array<Record<string, unknown>> {
  assert.ok(text.endsWith('\n\n'), `SSE body must end with a blank line: ${JSON.stringify(text)}`);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      assert.match(block, /^data: /);
      return JSON.parse(block.slice('data: '.length)) as Record<string, unknown>;
    });
}

async function lastLoggedRequest(): Promise<Record<string, unknown>> {
  const entries = (await readEchoLog(logFile)).filter((e) => e['event'] === 'request');
  return entries[entries.length - 1]!;
}

describe('POST /v2/models/{m}/generate', () => {
  test('maps members to typed inputs and answers outputs plus response parameters', async () => {
    const r = await post('generate', { text_input: 'hello world', exclude_input_in_output: true });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await r.json(), {
      model_name: 'echo',
      model_version: '1',
      text_output: 'You said: hello world',
      finish_reason: 'stop',
      num_input_tokens: 2,
      num_output_tokens: 4,
    });
  });

  test('the versioned path works, and the prompt is included unless excluded', async () => {
    const r = await fetch(`${s.http}/v2/models/echo/versions/1/generate`, {
      method: 'POST',
      body: JSON.stringify({ text_input: 'hi' }),
    });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { text_output: string }).text_output, 'hiYou said: hi');
  });

  test('sampling settings in parameters are folded into sampling_parameters; other parameters pass through', async () => {
    const r = await post('generate', {
      text_input: 'a b c d',
      exclude_input_in_output: true,
      custom_flag: 'x',
      parameters: { max_tokens: 3, temperature: 0, stream: false, priority_hint: 2 },
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(body['text_output'], 'You said: a');
    assert.equal(body['finish_reason'], 'length');
    const logged = await lastLoggedRequest();
    assert.deepEqual(logged['sampling'], { max_tokens: 3, temperature: 0 });
    assert.deepEqual(logged['parameters'], { custom_flag: 'x', priority_hint: 2 });
    assert.equal(logged['stream'], false);
  });

  test('sampling_parameters may be a JSON object; its members win over loose ones', async () => {
    const r = await post('generate', {
      text_input: 'one two three',
      exclude_input_in_output: true,
      max_tokens: 2,
      sampling_parameters: { max_tokens: 50, stop: ['two'] },
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(body['text_output'], 'You said: one ');
    assert.equal(body['finish_reason'], 'stop');
    assert.deepEqual((await lastLoggedRequest())['sampling'], { max_tokens: 50, stop: ['two'] });
  });

  test('a model that sends several responses (stream: true) is an error', async () => {
    const r = await post('generate', { text_input: 'hello world', stream: true });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /generate expects model to produce exactly 1 response/);
  });

  test('bad JSON, wrong types and non-scalar parameters are 400; an unknown model is 404', async () => {
    const bad = await post('generate', '{"text_input": ');
    assert.equal(bad.status, 400);
    assert.ok(((await bad.json()) as { error: string }).error.length > 0);

    const wrongType = await post('generate', { text_input: 'x', stream: 'yes' });
    assert.equal(wrongType.status, 400);
    assert.match(((await wrongType.json()) as { error: string }).error, /stream/);

    const nested = await post('generate', { text_input: 'x', extra: { a: 1 } });
    assert.equal(nested.status, 400);
    assert.match(((await nested.json()) as { error: string }).error, /parameter 'extra' has invalid type/);

    // JSON numbers beyond ±1.8e308 parse as Infinity: refused, not sent on as null (the default).
    for (const text of [
      '{"text_input": "x", "max_tokens": 1e400}',
      '{"text_input": "x", "sampling_parameters": {"temperature": -1e400}}',
      '{"text_input": "x", "temperature": 0, "sampling_parameters": "{\\"max_tokens\\": 1e400}"}',
      '{"text_input": "x", "parameters": {"priority": 1e999}}',
    ]) {
      const r = await post('generate', text);
      assert.equal(r.status, 400, text);
      assert.match(((await r.json()) as { error: string }).error, /is not finite at '/, text);
    }

    const missing = await post('generate', { text_input: 'x' }, 'no_such_model');
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /no_such_model/);
  });

  test('an error the model reports is the HTTP error', async () => {
    const r = await post('generate', { text_input: 'x', sampling_parameters: '{not json' });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /sampling_parameters is not valid JSON/);
  });
});

describe('POST /v2/models/{m}/generate_stream', () => {
  test('one SSE event per response, the last with the response parameters', async () => {
    const r = await post('generate_stream', { text_input: 'hello world', stream: true });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = sseEvents(await r.text());
    assert.deepEqual(
      events.map((e) => e['text_output']),
      ['You', ' said:', ' hello', ' world'],
    );
    for (const e of events) assert.equal(e['model_name'], 'echo');
    assert.equal(events[3]!['finish_reason'], 'stop');
    assert.equal(events[3]!['num_output_tokens'], 4);
    assert.equal(events[0]!['finish_reason'], undefined);
  });

  test('a non-streaming request gives one event', async () => {
    const r = await post('generate_stream', { text_input: 'hi', exclude_input_in_output: true });
    const events = sseEvents(await r.text());
    assert.equal(events.length, 1);
    assert.equal(events[0]!['text_output'], 'You said: hi');
  });

  test('an error after the first event arrives as an SSE error event (status already 200)', async () => {
    const r = await post('generate_stream', { text_input: 'please fail', stream: true });
    assert.equal(r.status, 200);
    const events = sseEvents(await r.text());
    assert.deepEqual(events, [
      { model_name: 'echo', model_version: '1', text_output: 'You' },
      { error: 'echo model failed on purpose' },
    ]);
  });

  test('errors before the first event are plain JSON errors with their status', async () => {
    const bad = await post('generate_stream', '[1, 2');
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /application\/json/);
    const missing = await post('generate_stream', { text_input: 'x' }, 'nope');
    assert.equal(missing.status, 404);
    const invalid = await post('generate_stream', { text_input: 'x', stream: true, sampling_parameters: '{' });
    assert.equal(invalid.status, 400);
    assert.match(((await invalid.json()) as { error: string }).error, /not valid JSON/);
  });

  test('closing the connection cancels the request in the model', async () => {
    const controller = new AbortController();
    const r = await fetch(`${s.http}/v2/models/echo/generate_stream`, {
      method: 'POST',
      body: JSON.stringify({ text_input: 'slow please', stream: true }),
      signal: controller.signal,
    });
    const reader = r.body!.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /^data: \{.*"text_output":"tick"/);
    controller.abort();
    await reader.cancel().catch(() => {});
    await eventually(async () => (await readEchoLog(logFile)).some((e) => e['event'] === 'cancelled'));
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

  test('generate and generate_stream answer with text, finish_reason and token counts', async () => {
    const url = `${llm.http}/v2/models/llm`;
    const r = await fetch(`${url}/generate`, {
      method: 'POST',
      body: JSON.stringify({
        text_input: 'Hello',
        exclude_input_in_output: true,
        parameters: { max_tokens: 4, temperature: 0 },
      }),
    });
    assert.equal(r.status, 200);
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(body['model_name'], 'llm');
    assert.equal(typeof body['text_output'], 'string');
    assert.equal(body['finish_reason'], 'length');
    assert.equal(body['num_output_tokens'], 4);

    const stream = await fetch(`${url}/generate_stream`, {
      method: 'POST',
      body: JSON.stringify({
        text_input: 'Hello',
        stream: true,
        sampling_parameters: { max_tokens: 3, temperature: 0 },
      }),
    });
    assert.equal(stream.status, 200);
    const events = sseEvents(await stream.text());
    assert.ok(events.length >= 1);
    for (const e of events) assert.equal(e['error'], undefined);
    assert.equal(events[events.length - 1]!['finish_reason'], 'length');
  });
});
