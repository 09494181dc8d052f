/**
 * The llm backend over gRPC on the tiny example GGUF: streaming and non-streaming responses with
 * their final parameters, greedy and seeded determinism, max_tokens and stop sequences,
 * continuous batching of concurrent requests, cancellation freeing its sequence, the bounded
 * queue, bad sampling parameters and chat messages. Two models share the file: `llm` (4 parallel
 * sequences) and `llm_one` (1 sequence, queue of 1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  GrpcInferenceClient,
  InferenceServerError,
  InferInput,
  type StreamInferRequest,
  type StreamResponse,
} from '@tensorgate/client';
import { encodeBytesElements } from '@tensorgate/protocol';
import { InferenceError, type InferResponse, type Tensor } from 'tensorgate';
import { eventually, EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';

let dir: string;
let s: TestServer;
let c: GrpcInferenceClient;
let loadDelay = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-llm-'));
  await cp(join(EXAMPLES, 'llm'), join(dir, 'llm'), { recursive: true });
  await cp(join(EXAMPLES, 'llm'), join(dir, 'llm_one'), { recursive: true });
  const config = await readFile(join(dir, 'llm', 'config.pbtxt'), 'utf8');
  await writeFile(
    join(dir, 'llm_one', 'config.pbtxt'),
    config
      .replace('name: "llm"', 'name: "llm_one"')
      .replace(/(max_parallel_sequences"\s*value \{ string_value: )"4"/, '$1"1"')
      .replace(/(max_queue_size"\s*value \{ string_value: )"64"/, '$1"1"'),
  );
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  s = await startServer([], dir);
  h.disable();
  loadDelay = `event-loop delay while loading two GGUF models: max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`;
  c = new GrpcInferenceClient(`127.0.0.1:${s.grpcPort}`);
});
after(async () => {
  await c.close();
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

interface Ask {
  prompt?: string;
  chat?: Array<{ role: string; content: string }>;
  stream?: boolean;
  exclude?: boolean;
  sampling?: Record<string, unknown> | string;
  model?: string;
  id?: string;
}

function request(a: Ask): StreamInferRequest {
  const inputs: InferInput[] = [];
  if (a.prompt !== undefined) inputs.push(new InferInput('text_input', [1], 'BYTES').setData([a.prompt]));
  if (a.chat !== undefined)
    inputs.push(new InferInput('chat_messages', [1], 'BYTES').setData([JSON.stringify(a.chat)]));
  if (a.stream !== undefined) inputs.push(new InferInput('stream', [1], 'BOOL').setData([a.stream]));
  if (a.exclude !== undefined) inputs.push(new InferInput('exclude_input_in_output', [1], 'BOOL').setData([a.exclude]));
  if (a.sampling !== undefined) {
    const json = typeof a.sampling === 'string' ? a.sampling : JSON.stringify(a.sampling);
    inputs.push(new InferInput('sampling_parameters', [1], 'BYTES').setData([json]));
  }
  return { model: a.model ?? 'llm', requestId: a.id ?? 'r', inputs };
}

interface Outcome {
  chunks: string[];
  text: string;
  params: Record<string, unknown>;
  finals: number;
}

function textOf(r: StreamResponse): string {
  if (r.error || !r.result.outputNames.includes('text_output')) return '';
  return r.result.asStrings('text_output').join('');
}

/** Runs requests on one stream; returns each request's responses. */
async function run(asks: Ask[]): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  for await (const r of c.streamInfer(asks.map((a, i) => request({ id: `q${i}`, ...a })))) {
    if (r.error) throw r.error;
    const o = out.get(r.requestId) ?? { chunks: [], text: '', params: {}, finals: 0 };
    out.set(r.requestId, o);
    const text = textOf(r);
    if (r.final) {
      o.finals++;
      o.params = { ...r.result.parameters };
      o.text = text;
    } else o.chunks.push(text);
  }
  return out;
}

async function one(a: Ask): Promise<Outcome> {
  return (await run([a])).get('q0')!;
}

/** Runs a request through the core directly (where errors keep their codes). */
function coreRun(a: Ask, signal = new AbortController().signal): AsyncIterator<InferResponse> {
  const inputs: Tensor[] = request(a).inputs.map((i) => {
    const name = i.name;
    const bytes = (v: string): Tensor => ({ name, datatype: 'BYTES', shape: [1], data: encodeBytesElements([v]) });
    if (name === 'text_input') return bytes(a.prompt!);
    if (name === 'chat_messages') return bytes(JSON.stringify(a.chat));
    if (name === 'sampling_parameters')
      return bytes(typeof a.sampling === 'string' ? a.sampling : JSON.stringify(a.sampling));
    const flag = name === 'stream' ? a.stream : a.exclude;
    return { name, datatype: 'BOOL', shape: [1], data: Uint8Array.of(flag ? 1 : 0) };
  });
  const iterable = s.server.core.infer(
    { modelName: a.model ?? 'llm', modelVersion: '', id: a.id ?? '', inputs, outputs: [], parameters: {} },
    { signal, protocol: 'grpc', allowDecoupled: true },
  );
  return iterable[Symbol.asyncIterator]();
}

async function streamError(a: Ask): Promise<InferenceServerError> {
  for await (const r of c.streamInfer([request(a)])) if (r.error) return r.error;
  assert.fail('expected an error response');
}

const greedy = (maxTokens: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  temperature: 0,
  max_tokens: maxTokens,
  ...extra,
});

describe('llm backend', () => {
  test('both models loaded (event-loop delay during the load is reported, not asserted)', (t) => {
    t.diagnostic(loadDelay);
    assert.ok(s.server.core.isModelReady('llm'));
    assert.ok(s.server.core.isModelReady('llm_one'));
  });

  test('stream=true: several chunks, then a final response with the usage parameters', async () => {
    const o = await one({ prompt: 'Hello tensorgate', stream: true, sampling: greedy(16) });
    assert.ok(o.chunks.length > 1, `chunks: ${o.chunks.length}`);
    assert.equal(o.finals, 1);
    assert.equal(o.params['finish_reason'], 'length');
    assert.equal(o.params['num_output_tokens'], 16);
    assert.ok(typeof o.params['num_input_tokens'] === 'number' && o.params['num_input_tokens'] > 1);
    assert.equal(o.params['triton_final_response'], true);
    const whole = await one({ prompt: 'Hello tensorgate', exclude: true, sampling: greedy(16) });
    assert.equal(whole.chunks.length, 0, 'stream=false: one response, the final one');
    assert.equal(o.chunks.join('') + o.text, whole.text, 'the chunks add up to the non-streamed text');
    assert.equal(whole.params['finish_reason'], 'length');
  });

  test('stream=false repeats the prompt unless exclude_input_in_output', async () => {
    const withPrompt = await one({ prompt: 'Hello tensorgate', sampling: greedy(8) });
    const without = await one({ prompt: 'Hello tensorgate', exclude: true, sampling: greedy(8) });
    assert.equal(withPrompt.text, 'Hello tensorgate' + without.text);
  });

  test('greedy decoding and seeded sampling are deterministic', async () => {
    const a = await one({ prompt: 'Once upon a time', exclude: true, sampling: greedy(24) });
    const b = await one({ prompt: 'Once upon a time', exclude: true, sampling: greedy(24) });
    assert.equal(a.text, b.text);
    const seeded = (seed: number): Promise<Outcome> =>
      one({ prompt: 'Once upon a time', exclude: true, sampling: { temperature: 1.5, seed, max_tokens: 24 } });
    const s1 = await seeded(1234);
    assert.equal((await seeded(1234)).text, s1.text);
    const others = await Promise.all([seeded(1), seeded(2), seeded(3)]);
    assert.ok(
      others.some((o) => o.text !== s1.text),
      'another seed gives other text',
    );
  });

  test('a stop sequence ends the text before it: finish_reason stop', async () => {
    const full = await one({ prompt: 'abc', exclude: true, sampling: greedy(32) });
    const stop = full.text.slice(10, 12);
    const expected = full.text.slice(0, full.text.indexOf(stop));
    const o = await one({ prompt: 'abc', exclude: true, sampling: greedy(32, { stop: [stop] }) });
    assert.equal(o.text, expected);
    assert.equal(o.params['finish_reason'], 'stop');
    const streamed = await one({ prompt: 'abc', stream: true, sampling: greedy(32, { stop }) });
    assert.equal(streamed.chunks.join('') + streamed.text, expected);
    assert.equal(streamed.params['finish_reason'], 'stop');
  });

  test('4 concurrent streams are decoded together and each gets its own text', async (t) => {
    const prompts = ['alpha', 'bravo charlie', 'delta', 'echo foxtrot golf'];
    const alone = await Promise.all(prompts.map((p) => one({ prompt: p, exclude: true, sampling: greedy(48) })));
    const order: Array<[string, boolean]> = [];
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const texts = new Map<string, string>();
    for await (const r of c.streamInfer(
      prompts.map((p, i) => request({ id: `c${i}`, prompt: p, stream: true, sampling: greedy(48) })),
    )) {
      if (r.error) throw r.error;
      order.push([r.requestId, r.final]);
      texts.set(r.requestId, (texts.get(r.requestId) ?? '') + textOf(r));
    }
    h.disable();
    t.diagnostic(
      `event-loop delay during 4x48 tokens: max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    const firstChunk = prompts.map((_, i) => order.findIndex(([id]) => id === `c${i}`));
    const lastResponse = prompts.map((_, i) => order.findLastIndex(([id]) => id === `c${i}`));
    assert.ok(Math.max(...firstChunk) < Math.min(...lastResponse), 'every stream started before any finished');
    prompts.forEach((_, i) => assert.equal(texts.get(`c${i}`), alone[i]!.text, `c${i} as when run alone`));
  });

  test('8 concurrent streams over all four interfaces (gRPC tensors, SSE generate, OpenAI SSE, LLMService) complete', async () => {
    // 8 streams on a model with 4 sequences: 4 decode together, 4 wait their turn, none is lost.
    const grpcStreams = [0, 1].map(async (i) => {
      let text = '';
      let final: Record<string, unknown> = {};
      for await (const r of c.streamInfer([
        request({ id: `g${i}`, prompt: `grpc ${i}`, stream: true, sampling: greedy(24) }),
      ])) {
        if (r.error) throw r.error;
        text += textOf(r);
        if (r.final) final = { ...r.result.parameters };
      }
      assert.equal(final['num_output_tokens'], 24);
      return text;
    });
    const sse = async (url: string, body: unknown): Promise<string[]> => {
      const r = await fetch(url, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
      return (await r.text())
        .split('\n\n')
        .filter((e) => e.startsWith('data: '))
        .map((e) => e.slice('data: '.length));
    };
    const generateStreams = [0, 1].map(async (i) => {
      const events = await sse(`${s.http}/v2/models/llm/generate_stream`, {
        text_input: `sse ${i}`,
        stream: true,
        sampling_parameters: JSON.stringify(greedy(24)),
      });
      const last = JSON.parse(events.at(-1)!) as Record<string, unknown>;
      assert.equal(last['num_output_tokens'], 24);
      return events.length;
    });
    const openaiStreams = [0, 1].map(async (i) => {
      const events = await sse(`${s.http}/v1/completions`, {
        model: 'llm',
        prompt: `openai ${i}`,
        max_tokens: 24,
        temperature: 0,
        stream: true,
      });
      assert.equal(events.at(-1), '[DONE]');
      return events.length;
    });
    const serviceStreams = [0, 1].map(async (i) => {
      const { loadProtoRoot } = await import('@tensorgate/protocol');
      const grpc = await import('@grpc/grpc-js');
      const root = loadProtoRoot();
      const Req = root.lookupType('llm.GenerateRequest');
      const Tok = root.lookupType('llm.Token');
      const client = new grpc.Client(`127.0.0.1:${s.grpcPort}`, grpc.credentials.createInsecure());
      try {
        const tokens: Array<{ text: string; is_finished: boolean }> = [];
        const call = client.makeServerStreamRequest(
          '/llm.LLMService/StreamGenerate',
          (m: object) => Buffer.from(Req.encode(Req.fromObject(m)).finish()),
          (b: Buffer) => Tok.toObject(Tok.decode(b), { defaults: true }) as { text: string; is_finished: boolean },
          { prompt: `service ${i}`, max_tokens: 24, model: 'llm' },
        );
        for await (const t of call) tokens.push(t as { text: string; is_finished: boolean });
        assert.equal(tokens.at(-1)!.is_finished, true);
        return tokens.length;
      } finally {
        client.close();
      }
    });
    const [texts, ...counts] = await Promise.all([
      Promise.all(grpcStreams),
      Promise.all(generateStreams),
      Promise.all(openaiStreams),
      Promise.all(serviceStreams),
    ]);
    for (const t of texts) assert.ok(t.length > 0);
    for (const group of counts) for (const n of group) assert.ok(n > 2, 'several events per stream');
  });

  test('chat_messages are rendered with the chat template', async () => {
    const chat = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi there' },
    ];
    const o = await one({ chat, sampling: greedy(12) });
    assert.equal(o.params['finish_reason'], 'length');
    assert.equal(o.text.length > 0, true);
    assert.ok(!o.text.includes('Hi there'), 'chat responses never repeat the prompt');
    // The template's markers count as input tokens: more than the two messages' text alone.
    const plain = await one({ prompt: 'Be brief.Hi there', exclude: true, sampling: greedy(1) });
    assert.ok((o.params['num_input_tokens'] as number) > (plain.params['num_input_tokens'] as number) + 4);
    const streamed = await one({ chat, stream: true, sampling: greedy(12) });
    assert.equal(streamed.chunks.join(''), o.text);
  });

  test('bad sampling_parameters and inputs → INVALID_ARG naming the problem', async () => {
    const cases: Array<[Ask, RegExp]> = [
      [{ prompt: 'x', sampling: '{not json' }, /sampling_parameters is not valid JSON/],
      [{ prompt: 'x', sampling: { temperature: -1 } }, /'temperature' must be a number >= 0/],
      [{ prompt: 'x', sampling: { max_tokens: 0 } }, /'max_tokens' must be an integer >= 1/],
      [{ prompt: 'x', sampling: { top_p: 2 } }, /'top_p'/],
      [{ prompt: 'x', sampling: { bogus: 1 } }, /unknown key 'bogus'/],
      [{ prompt: 'x', sampling: { stop: [1] } }, /'stop'/],
      [{ sampling: greedy(1) }, /text_input or chat_messages/],
      [{ chat: [{ role: 'robot', content: 'x' }] }, /chat_messages\[0\]\.role/],
    ];
    for (const [ask, message] of cases) {
      // A stream carries only the message (Triton's error_message); the core's code is INVALID_ARG.
      assert.match((await streamError(ask)).message, message);
      await assert.rejects(coreRun(ask).next(), (e: unknown) => {
        assert.ok(e instanceof InferenceError);
        assert.equal(e.code, 'INVALID_ARG');
        assert.match(e.message, message);
        return true;
      });
    }
  });

  test('ModelInfer serves stream=false with one response; stream=true is refused (use ModelStreamInfer)', async () => {
    const unary = await c.infer('llm', request({ prompt: 'Hello', sampling: greedy(8) }).inputs);
    const [text] = unary.asStrings('text_output');
    assert.ok(text!.startsWith('Hello') && text!.length > 'Hello'.length, `prompt + completion: ${text}`);
    assert.equal(unary.parameters['finish_reason'], 'length');
    assert.equal(unary.parameters['num_output_tokens'], 8);
    // The same request over the stream gives the same text (greedy).
    assert.equal((await one({ prompt: 'Hello', sampling: greedy(8) })).text, text);
    // HTTP infer too.
    const http = await fetch(`${s.http}/v2/models/llm/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'text_input', shape: [1], datatype: 'BYTES', data: ['Hello'] },
          { name: 'sampling_parameters', shape: [1], datatype: 'BYTES', data: [JSON.stringify(greedy(8))] },
        ],
      }),
    });
    assert.equal(http.status, 200);
    const body = (await http.json()) as { outputs: Array<{ data: string[] }> };
    assert.equal(body.outputs[0]!.data[0], text);

    const r = request({ prompt: 'x', stream: true, sampling: greedy(1) });
    await assert.rejects(c.infer('llm', r.inputs), (e: unknown) => {
      assert.ok(e instanceof InferenceServerError);
      assert.equal(e.code, 'UNSUPPORTED');
      assert.match(e.message, /decoupled/);
      return true;
    });
  });
});

describe('llm backend with one sequence and a queue of one', () => {
  /** Writes requests one after the other, each once the previous one has produced a first chunk. */
  async function* staged(asks: Ask[], started: () => Promise<void>): AsyncGenerator<StreamInferRequest> {
    for (const [i, a] of asks.entries()) {
      if (i > 0) await started();
      yield request({ id: `s${i}`, model: 'llm_one', ...a });
    }
  }

  test('a cancelled stream frees its sequence for the next request', async () => {
    const controller = new AbortController();
    let firstChunk!: () => void;
    const gotChunk = new Promise<void>((r) => (firstChunk = r));
    const consume = (async () => {
      for await (const r of c.streamInfer(
        [request({ model: 'llm_one', prompt: 'x', stream: true, sampling: greedy(900) })],
        {
          signal: controller.signal,
        },
      )) {
        if (!r.final) firstChunk();
      }
    })();
    await gotChunk;
    controller.abort();
    await assert.rejects(consume);
    const next = await one({ model: 'llm_one', prompt: 'y', sampling: greedy(4) });
    assert.equal(next.params['finish_reason'], 'length');
  });

  test('beyond one running and one queued request → RESOURCE_EXHAUSTED', async () => {
    const controller = new AbortController();
    let chunk!: () => void;
    const started = new Promise<void>((r) => (chunk = r));
    const long: Ask = { prompt: 'x', stream: true, sampling: greedy(900) };
    let error: InferenceServerError | undefined;
    try {
      for await (const r of c.streamInfer(
        staged([long, long, long], () => started),
        { signal: controller.signal },
      )) {
        if (r.error) {
          error = r.error;
          assert.equal(r.requestId, 's2');
          controller.abort();
        } else if (r.requestId === 's0') chunk();
      }
    } catch (e) {
      if (!controller.signal.aborted) throw e;
    }
    assert.ok(error, 'the third request was refused');
    assert.match(error.message, /model 'llm_one'.*max_queue_size 1/);
    // The server learns of the cancelled stream a moment later; until then the queue is still full.
    let next: Outcome | undefined;
    await eventually(async () => {
      next = await one({ model: 'llm_one', prompt: 'y', sampling: greedy(4) }).catch((e: unknown) => {
        if (e instanceof InferenceServerError && /is busy/.test(e.message)) return undefined;
        throw e;
      });
      return next !== undefined;
    });
    assert.equal(next?.params['finish_reason'], 'length', 'the model serves again once the stream is gone');
  });

  test('the core sees RESOURCE_EXHAUSTED; a cancelled queued request leaves the queue', async () => {
    const long: Ask = { model: 'llm_one', prompt: 'x', stream: true, sampling: greedy(900) };
    const c1 = new AbortController();
    const c2 = new AbortController();
    const running = coreRun(long, c1.signal);
    assert.equal((await running.next()).done, false, 'the first request is generating');
    const queued = coreRun(long, c2.signal);
    const queuedFirst = queued.next();
    await assert.rejects(coreRun(long).next(), (e: unknown) => {
      assert.ok(e instanceof InferenceError);
      assert.equal(e.code, 'RESOURCE_EXHAUSTED');
      assert.match(e.message, /max_parallel_sequences 1, max_queue_size 1/);
      return true;
    });
    c2.abort();
    await assert.rejects(queuedFirst, (e: unknown) => e instanceof InferenceError && e.code === 'CANCELLED');
    // The queue has room again while the first request still runs.
    const c3 = new AbortController();
    const third = coreRun(long, c3.signal);
    const thirdFirst = third.next();
    c1.abort();
    await running.return?.();
    assert.equal((await thirdFirst).done, false, 'the queued request runs once the sequence is free');
    c3.abort();
    await third.return?.();
  });
});
