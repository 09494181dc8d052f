/**
 * Wire-level tests of `llm.LLMService` on the gRPC port, against the JS echo model of the LLM
 * contract (see helpers/llm-echo-model.ts) in a temporary repository.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc, grpcClient, serverStreamAll, unary, unaryError, type Msg } from '../helpers/grpc-client.js';
import { echoReply, readEchoLog, writeEchoLlm } from '../helpers/llm-echo-model.js';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

let s: TestServer;
let repo: Awaited<ReturnType<typeof tempRepository>>;
let client: ReturnType<typeof grpcClient>;
let slowLog: string;

before(async () => {
  repo = await tempRepository(['simple']);
  await writeEchoLlm(repo.path, 'echo');
  slowLog = (await writeEchoLlm(repo.path, 'echo_slow', { tokenDelayMs: 20 })).logFile;
  s = await startServer([], repo.path);
  client = grpcClient(s.grpcPort, 'llm.LLMService');
});
after(async () => {
  client.close();
  await s.close();
  await repo.remove();
});

/** Runs StreamGenerate to its end; resolves with every Token, rejects with the call's error. */
function streamTokens(request: Msg, options: grpc.CallOptions = {}): Promise<Msg[]> {
  return serverStreamAll(client, 'StreamGenerate', request, options);
}

const PROMPT = 'the quick brown fox';

describe('Generate', () => {
  test('returns the whole completion, without the prompt, with usage', async () => {
    const r = await unary(client, 'Generate', { prompt: PROMPT, model: 'echo' });
    assert.equal(r['text'], echoReply(PROMPT));
    assert.equal(r['finish_reason'], 'stop');
    assert.equal(r['prompt_tokens'], 4);
    assert.equal(r['completion_tokens'], 5);
    assert.equal(r['model'], 'echo');
    assert.equal(r['model_version'], '1');
  });

  test('max_tokens and stop reach the model', async () => {
    const short = await unary(client, 'Generate', { prompt: PROMPT, model: 'echo', max_tokens: 2 });
    assert.equal(short['text'], 'echo: the');
    assert.equal(short['finish_reason'], 'length');
    assert.equal(short['completion_tokens'], 2);
    const stopped = await unary(client, 'Generate', { prompt: PROMPT, model: 'echo', stop: ['brown'] });
    assert.equal(stopped['text'], 'echo: the quick ');
    assert.equal(stopped['finish_reason'], 'stop');
  });

  test('without a model, the first ready LLM model by name answers (never a non-LLM model)', async () => {
    const r = await unary(client, 'Generate', { prompt: 'hi' });
    assert.equal(r['model'], 'echo');
    assert.equal(r['text'], 'echo: hi');
  });

  test('an unknown model is NOT_FOUND; a model that is not an LLM is INVALID_ARGUMENT', async () => {
    const unknown = await unaryError(client, 'Generate', { prompt: 'x', model: 'no_such_model' });
    assert.equal(unknown.code, grpc.status.NOT_FOUND);
    assert.match(unknown.details, /no_such_model/);
    const notLlm = await unaryError(client, 'Generate', { prompt: 'x', model: 'simple' });
    assert.equal(notLlm.code, grpc.status.INVALID_ARGUMENT);
    assert.match(notLlm.details, /does not implement the LLM interface/);
    const negative = await unaryError(client, 'Generate', { prompt: 'x', model: 'echo', max_tokens: -1 });
    assert.equal(negative.code, grpc.status.INVALID_ARGUMENT);
    assert.match(negative.details, /max_tokens/);
  });

  test('a deadline that passes during generation is DEADLINE_EXCEEDED', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const err = await unaryError(
      client,
      'Generate',
      { prompt: `deadline ${words}`, model: 'echo_slow', max_tokens: 500 },
      { deadline: Date.now() + 300 },
    );
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    await eventually(async () => (await cancelledPrompts()).includes('deadline'));
  });
});

/** First words of the prompts the slow echo model saw cancelled. */
async function cancelledPrompts(): Promise<string[]> {
  const entries = await readEchoLog(slowLog);
  return entries.filter((e) => e['event'] === 'cancelled').map((e) => String(e['firstWord']));
}

describe('StreamGenerate', () => {
  test('one Token per word, then a last Token with is_finished and usage', async () => {
    const tokens = await streamTokens({ prompt: PROMPT, model: 'echo' });
    const last = tokens.at(-1)!;
    const chunks = tokens.slice(0, -1);
    assert.deepEqual(
      chunks.map((t) => t['text']),
      ['echo:', ' the', ' quick', ' brown', ' fox'],
    );
    assert.ok(chunks.every((t) => t['is_finished'] === false));
    assert.equal(last['is_finished'], true);
    assert.equal(last['text'], '');
    assert.equal(last['finish_reason'], 'stop');
    assert.equal(last['prompt_tokens'], 4);
    assert.equal(last['completion_tokens'], 5);
  });

  test('max_tokens bounds the number of Tokens', async () => {
    const tokens = await streamTokens({ prompt: PROMPT, model: 'echo', max_tokens: 3 });
    assert.equal(tokens.length, 4);
    assert.equal(
      tokens
        .slice(0, -1)
        .map((t) => t['text'])
        .join(''),
      'echo: the quick',
    );
    assert.equal(tokens.at(-1)!['finish_reason'], 'length');
    assert.equal(tokens.at(-1)!['completion_tokens'], 3);
  });

  test('an unknown model ends the stream with NOT_FOUND', async () => {
    await assert.rejects(streamTokens({ prompt: 'x', model: 'nope' }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      return true;
    });
  });

  test('cancelling mid-stream stops the model', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const call = client['StreamGenerate'](
      { prompt: `cancelme ${words}`, model: 'echo_slow', max_tokens: 500 },
      new grpc.Metadata(),
    ) as grpc.ClientReadableStream<Msg>;
    let received = 0;
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    call.on('data', () => {
      received++;
      if (received === 3) call.cancel();
    });
    const err = await ended;
    assert.equal(err.code, grpc.status.CANCELLED);
    assert.ok(received >= 3);
    await eventually(async () => (await cancelledPrompts()).includes('cancelme'));
    // The server is still fine.
    const r = await unary(client, 'Generate', { prompt: 'after', model: 'echo' });
    assert.equal(r['text'], 'echo: after');
  });

  test('a deadline ends the stream with DEADLINE_EXCEEDED after some Tokens', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const got: Msg[] = [];
    const call = client['StreamGenerate'](
      { prompt: `late ${words}`, model: 'echo_slow', max_tokens: 500 },
      new grpc.Metadata(),
      { deadline: Date.now() + 500 },
    ) as grpc.ClientReadableStream<Msg>;
    call.on('data', (t: Msg) => got.push(t));
    const err = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(got.every((t) => t['is_finished'] === false));
    await eventually(async () => (await cancelledPrompts()).includes('late'));
  });
});

describe('smoke: the bundled GGUF model (examples/model_repository/llm, llm backend)', () => {
  let ggufRepo: Awaited<ReturnType<typeof tempRepository>>;
  let server: TestServer;
  let llm: ReturnType<typeof grpcClient>;
  before(async () => {
    ggufRepo = await tempRepository(['llm']);
    server = await startServer([], ggufRepo.path);
    llm = grpcClient(server.grpcPort, 'llm.LLMService');
  });
  after(async () => {
    llm.close();
    await server.close();
    await ggufRepo.remove();
  });

  test('Generate and StreamGenerate give the same greedy text within max_tokens', async () => {
    const request = { prompt: 'Hello', max_tokens: 8 };
    const whole = await unary(llm, 'Generate', request);
    assert.equal(whole['model'], 'llm');
    assert.ok(['stop', 'length'].includes(whole['finish_reason']), whole['finish_reason']);
    assert.ok(whole['completion_tokens'] >= 1 && whole['completion_tokens'] <= 8);
    assert.ok(whole['prompt_tokens'] >= 1);
    const tokens = await serverStreamAll(llm, 'StreamGenerate', request);
    const last = tokens.at(-1)!;
    assert.equal(last['is_finished'], true);
    assert.equal(last['completion_tokens'], whole['completion_tokens']);
    assert.equal(
      tokens
        .slice(0, -1)
        .map((t) => t['text'])
        .join(''),
      whole['text'],
    );
  });
});
