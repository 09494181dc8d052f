/**
 * Wire tests of `tensorgate gateway`: two real upstream servers (port 0) serving the example
 * ONNX models plus a small decoupled JS "llm" that echoes its prompt token by token, and the
 * gateway in front of them with the example routes file (examples/gateway/routes.yaml).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway, type RunningGateway } from 'tensorgate';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const ROUTES = fileURLToPath(new URL('../../../../examples/gateway/routes.yaml', import.meta.url));

/**
 * Triton vLLM backend's interface, decoupled; echoes `text_input` back (one response per word when
 * streaming, then a final response with an empty text, as the llm backend sends).
 */
const LLM_CONFIG = `
name: "llm"
backend: "js"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [
  { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] },
  { name: "stream" data_type: TYPE_BOOL dims: [ 1 ] optional: true },
  { name: "sampling_parameters" data_type: TYPE_STRING dims: [ 1 ] optional: true }
]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ -1 ] } ]
`;
const LLM_MODEL = `
export default class EchoLlm {
  async execute(requests) {
    for (const request of requests) {
      const sender = request.getResponseSender();
      const text = request.input('text_input').strings()[0];
      const stream = request.findInput('stream')?.data[0] === 1;
      const params = JSON.parse(request.findInput('sampling_parameters')?.strings()[0] || '{}');
      const tokens = (text.match(/\\s*\\S+/g) ?? []).slice(0, params.max_tokens ?? Infinity);
      if (stream) {
        for (const t of tokens) sender.send({ outputs: [{ name: 'text_output', data: [t] }] });
        // As the llm backend does: the final response carries an empty text_output.
        sender.send({ outputs: [{ name: 'text_output', data: [''] }] }, { final: true });
      } else {
        sender.send({ outputs: [{ name: 'text_output', data: [tokens.join('')] }] });
        sender.send(undefined, { final: true });
      }
    }
  }
}
`;

const SERIES = [0.0, 0.5, 0.87, 1.0, 0.87, 0.5, 0.0, -0.5, -0.87, -1.0];

/** A deterministic 3x224x224 image in [0, 1), as nested CHW lists. */
function image(seed: number): number[][][] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: 3 }, () => Array.from({ length: 224 }, () => Array.from({ length: 224 }, next)));
}

let repo: Awaited<ReturnType<typeof tempRepository>>;
let s1: TestServer;
let s2: TestServer;
let gw: RunningGateway;
let s1Open = true;
let s2Open = true;

const post = (path: string, body: unknown): Promise<Response> =>
  fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function inferenceCount(s: TestServer, model: string): Promise<number> {
  const stats = (await (await fetch(`${s.http}/v2/models/${model}/stats`)).json()) as any;
  return stats.model_stats[0].inference_stats.success.count as number;
}

async function health(): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/health`);
  return { status: res.status, body: await res.json() };
}

before(async () => {
  repo = await tempRepository(['lstm_timeseries', 'image_classifier', 'sleep_ms']);
  await mkdir(join(repo.path, 'llm', '1'), { recursive: true });
  await writeFile(join(repo.path, 'llm', 'config.pbtxt'), LLM_CONFIG);
  await writeFile(join(repo.path, 'llm', '1', 'model.js'), LLM_MODEL);
  [s1, s2] = await Promise.all([startServer([], repo.path), startServer([], repo.path)]);
  gw = await startGateway({
    routes: ROUTES,
    upstreams: [`127.0.0.1:${s1.grpcPort}`, `127.0.0.1:${s2.grpcPort}`],
    host: '127.0.0.1',
    port: 0,
    healthIntervalMs: 100,
  });
  // A loaded machine may fail the very first check; the pool re-checks every 100 ms.
  await eventually(async () => (await health()).body.upstreams.every((u: any) => u.ready));
});

after(async () => {
  await gw?.close();
  if (s1Open) await s1?.close();
  if (s2Open) await s2?.close();
  await repo?.remove();
});

describe('gateway in front of two servers', () => {
  test('/health lists both upstreams as ready', async () => {
    const h = await health();
    assert.equal(h.status, 200);
    assert.equal(h.body.ready, true);
    assert.deepEqual(
      h.body.upstreams.map((u: any) => [u.address, u.ready]),
      [
        [`127.0.0.1:${s1.grpcPort}`, true],
        [`127.0.0.1:${s2.grpcPort}`, true],
      ],
    );
  });

  test('/forecast returns 5 values, the same the server computes', async () => {
    const res = await post('/forecast', { series: SERIES });
    const body = (await res.json()) as { forecast: number[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.forecast.length, 5);
    const direct = (await (
      await fetch(`${s1.http}/v2/models/lstm_timeseries/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'INPUT', shape: [1, 10, 1], datatype: 'FP32', data: SERIES }] }),
      })
    ).json()) as any;
    assert.deepEqual(body.forecast, direct.outputs[0].data);
    // The model was fitted on seasonal series scaled to about [-1, 1].
    for (const v of body.forecast) assert.ok(Number.isFinite(v) && Math.abs(v) < 3, `implausible forecast ${v}`);
    const batch = (await (await post('/forecast', { series: [SERIES, SERIES.map((v) => -v)] })).json()) as {
      forecast: number[][];
    };
    assert.equal(batch.forecast.length, 2);
    assert.deepEqual(batch.forecast[0], body.forecast);
    assert.equal(batch.forecast[1]!.length, 5);
  });

  test('/predict returns the top-5 labelled classes; /predict/probabilities agrees', async () => {
    const img = image(7);
    const res = await post('/predict', { image: img });
    const reply = (await res.json()) as { predictions: { index: number; label: string; score: number }[] };
    assert.equal(res.status, 200, JSON.stringify(reply));
    const { predictions } = reply;
    assert.equal(predictions.length, 5);
    for (const p of predictions) {
      assert.ok(Number.isInteger(p.index) && p.index >= 0 && p.index < 1000);
      assert.equal(p.label, `class_${String(p.index).padStart(4, '0')}`);
    }
    for (let i = 1; i < 5; i++) assert.ok(predictions[i - 1]!.score >= predictions[i]!.score, 'best first');
    const probs = (await (await post('/predict/probabilities', { image: img.flat(2) })).json()) as {
      label: string;
      top: { label: string; score: number }[];
    };
    assert.equal(probs.label, predictions[0]!.label);
    assert.deepEqual(
      probs.top.map((t) => t.label),
      predictions.slice(0, 3).map((p) => p.label),
    );
    const sum = probs.top.reduce((a, t) => a + t.score, 0);
    assert.ok(probs.top.every((t) => t.score > 0) && sum <= 1 + 1e-9, 'softmax probabilities');
  });

  test('requests are spread over both upstreams', async () => {
    const before1 = await inferenceCount(s1, 'lstm_timeseries');
    const before2 = await inferenceCount(s2, 'lstm_timeseries');
    for (let i = 0; i < 6; i++) assert.equal((await post('/forecast', { series: SERIES })).status, 200);
    const d1 = (await inferenceCount(s1, 'lstm_timeseries')) - before1;
    const d2 = (await inferenceCount(s2, 'lstm_timeseries')) - before2;
    assert.equal(d1 + d2, 6);
    assert.ok(d1 > 0 && d2 > 0, `both upstreams served requests (${d1} and ${d2})`);
  });

  test('bad requests are 400 with {"error"}', async () => {
    const bad = await post('/forecast', '{"series": [1, 2');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as any).error, /not valid JSON/);
    const missing = await post('/forecast', { serie: SERIES });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { error: "missing required field '$.series'" });
    const wrong = await post('/forecast', { series: [1, 2, 3] });
    assert.equal(wrong.status, 400);
    assert.match(((await wrong.json()) as any).error, /do not fill shape \[-1, 10, 1\]/);
    const deep = await post('/forecast', `{"series": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}`);
    assert.equal(deep.status, 400);
    assert.deepEqual(await deep.json(), {
      error: 'the request body is nested too deeply (more than 64 levels of arrays and objects)',
    });
  });

  test('/openapi.json has a path for each route; /docs lists them', async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as any;
    assert.match(doc.openapi, /^3\./);
    assert.equal(typeof doc.info.title, 'string');
    for (const path of ['/forecast', '/predict', '/predict/probabilities', '/chat', '/chat/stream']) {
      const op = doc.paths[path]?.post;
      assert.ok(op, `no operation for ${path}`);
      assert.ok(op.requestBody.content['application/json'].schema);
      assert.ok(op.responses['200'] && op.responses['400'] && op.responses['503']);
    }
    assert.ok(doc.paths['/health'].get);
    const page = await (await fetch(`${gw.url}/docs`)).text();
    for (const path of ['/forecast', '/predict', '/chat/stream']) assert.ok(page.includes(`</span> ${path}</h2>`));
  });

  test('/chat gathers the decoupled model’s reply', async () => {
    const res = await post('/chat', { prompt: 'the quick brown fox' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { text: 'the quick brown fox' });
    const short = await post('/chat', { prompt: 'the quick brown fox', parameters: { max_tokens: 2 } });
    assert.deepEqual(await short.json(), { text: 'the quick' });
  });

  test('/chat/stream delivers one SSE event per token, then the final event', async () => {
    const res = await post('/chat/stream', { prompt: 'the quick brown fox jumps' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e.length > 0)
      .map((e) => {
        const name = /^event: (.*)$/m.exec(e)?.[1] ?? 'message';
        return { name, data: JSON.parse(/^data: (.*)$/m.exec(e)![1]!) };
      });
    assert.deepEqual(
      events.map((e) => e.name),
      ['message', 'message', 'message', 'message', 'message', 'done'],
    );
    assert.equal(
      events
        .slice(0, 5)
        .map((e) => e.data.text)
        .join(''),
      'the quick brown fox jumps',
    );
    assert.deepEqual(events[5]!.data, { responses: 5 });
  });

  test('upstream errors map to 400 / 502 / 504 through real servers', async () => {
    const file = join(repo.path, '..', `gateway-errors-${process.pid}.json`);
    const sleep = (path: string, extra: object) => ({
      path,
      model: 'sleep_ms',
      inputs: { INPUT0: { from: '$.ms', datatype: 'UINT32', shape: [1] } },
      outputs: { slept: 'OUTPUT0' },
      ...extra,
    });
    await writeFile(
      file,
      JSON.stringify({
        routes: [
          sleep('/sleep', { timeoutMs: 100 }),
          { ...sleep('/wrong-shape', {}), inputs: { INPUT0: { from: '$.ms', datatype: 'UINT32', shape: [2] } } },
          sleep('/missing-model', { model: 'nope' }),
          // Streamed calls (collect, stream) used to lose the upstream's code: a request the
          // server refuses answered 502 'upstream error (UNKNOWN)'.
          ...['collect', 'stream'].map((mode) => ({
            path: `/chat-${mode}-wrong-type`,
            model: 'llm',
            mode,
            inputs: { text_input: { from: '$.prompt', datatype: 'INT32', shape: [1] } },
            outputs: { text: 'text_output' },
          })),
        ],
      }),
    );
    const g = await startGateway({ routes: file, upstreams: [`127.0.0.1:${s1.grpcPort}`], host: '127.0.0.1', port: 0 });
    try {
      const call = (path: string, body: unknown) =>
        fetch(`${g.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      const ok = await call('/sleep', { ms: 1 });
      assert.deepEqual([ok.status, await ok.json()], [200, { slept: 1 }]);
      const slow = await call('/sleep', { ms: 2000 });
      assert.equal(slow.status, 504);
      assert.match(((await slow.json()) as any).error, /^upstream deadline exceeded/);
      const shape = await call('/wrong-shape', { ms: [1, 2] });
      assert.equal(shape.status, 400);
      assert.match(((await shape.json()) as any).error, /INPUT0/);
      const missing = await call('/missing-model', { ms: 1 });
      assert.equal(missing.status, 502);
      assert.match(((await missing.json()) as any).error, /^upstream error \(NOT_FOUND\): .*'nope'/);
      for (const mode of ['collect', 'stream']) {
        const wrong = await call(`/chat-${mode}-wrong-type`, { prompt: 7 });
        const body = (await wrong.json()) as any;
        assert.equal(wrong.status, 400, `${mode}: ${JSON.stringify(body)}`);
        assert.match(body.error, /text_input/);
      }
    } finally {
      await g.close();
      await rm(file, { force: true });
    }
  });

  test('one upstream stops: requests keep succeeding and /health shows it down; both stop: 503', async () => {
    await s2.close();
    s2Open = false;
    for (let i = 0; i < 4; i++) {
      const res = await post('/forecast', { series: SERIES });
      assert.equal(res.status, 200, `request ${i} after one upstream stopped`);
    }
    await eventually(async () => {
      const h = await health();
      return h.status === 200 && h.body.upstreams[1].ready === false && h.body.upstreams[0].ready === true;
    });
    assert.equal((await post('/forecast', { series: SERIES })).status, 200);
    await s1.close();
    s1Open = false;
    await eventually(async () => (await health()).status === 503);
    const h = await health();
    assert.deepEqual(
      h.body.upstreams.map((u: any) => u.ready),
      [false, false],
    );
    const res = await post('/forecast', { series: SERIES });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as any).error, 'no healthy upstream server');
  });
});
