/**
 * The HTTP client against tiny fake servers (node:http): retries, error bodies, the generate
 * extension with SSE, and request compression. Wire tests against tensorgate itself are in
 * packages/server/test/e2e/client-*.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { InferenceServerError } from '../errors.js';
import { InferInput } from '../infer-input.js';
import { HttpInferenceClient } from './http-client.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler = (_q, _b, res) => res.end();
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }> = [];

before(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const jsonReply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const reset = (h: Handler) => {
  seen.length = 0;
  handler = h;
};
const ready = { model_name: 'm', model_version: '1', outputs: [] };
const input = () => new InferInput('X', [2], 'INT32').setData([1, 2]);

describe('retries against a fake server', () => {
  test('503, 503, then 200: retried with backoff and succeeds on the third attempt', async () => {
    let n = 0;
    reset((_q, _b, res) => (++n <= 2 ? jsonReply(res, 503, { error: 'busy' }) : jsonReply(res, 200, ready)));
    const client = new HttpInferenceClient(base, { retry: { maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 5 } });
    const r = await client.infer('m', [input()]);
    assert.equal(r.modelName, 'm');
    assert.equal(seen.length, 3);
    assert.ok(seen.every((s) => s.url === '/v2/models/m/infer'));
  });

  test('a 400 is not retried and carries status, code, message and request id', async () => {
    reset((_q, _b, res) => jsonReply(res, 400, { error: 'bad shape' }));
    const client = new HttpInferenceClient(base, { retry: { maxAttempts: 4, initialDelayMs: 1 } });
    await assert.rejects(client.infer('m', [input()], { requestId: 'rq-9' }), (e: unknown) => {
      assert.ok(e instanceof InferenceServerError);
      assert.deepEqual(
        [e.status, e.code, e.message, e.requestId, e.transport],
        [400, 'INVALID_ARG', 'bad shape', 'rq-9', 'http'],
      );
      return true;
    });
    assert.equal(seen.length, 1);
  });

  test('429 with Retry-After is retried; retries stop at maxAttempts with the last error', async () => {
    reset((_q, _b, res) => jsonReply(res, 429, { error: 'queue full' }, { 'retry-after': '0' }));
    const client = new HttpInferenceClient(base, { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 } });
    await assert.rejects(client.getServerMetadata(), {
      code: 'RESOURCE_EXHAUSTED',
      status: 429,
      message: 'queue full',
    });
    assert.equal(seen.length, 3);
  });

  test('without a retry policy nothing is retried', async () => {
    reset((_q, _b, res) => jsonReply(res, 503, { error: 'busy' }));
    await assert.rejects(new HttpInferenceClient(base).getServerMetadata(), { code: 'UNAVAILABLE', status: 503 });
    assert.equal(seen.length, 1);
  });

  test('a refused connection is UNAVAILABLE with no status, and is retried', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    let attempts = 0;
    const client = new HttpInferenceClient(`127.0.0.1:${port}`, {
      retry: { maxAttempts: 2, initialDelayMs: 1 },
      fetch: (u, i) => (attempts++, fetch(u, i)),
    });
    await assert.rejects(client.isServerLive(), (e: unknown) => {
      assert.ok(e instanceof InferenceServerError);
      assert.equal(e.code, 'UNAVAILABLE');
      assert.equal(e.status, undefined);
      assert.equal(e.notDelivered, true);
      assert.match(e.message, /connection failed/);
      return true;
    });
    // 2 attempts, after the 2 transparent retries a refused connection gets first.
    assert.equal(attempts, 4);
  });
});

describe('several base URLs and what is safe to retry', () => {
  const deadUrl = async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    return `http://127.0.0.1:${port}`;
  };

  test('round robin over the URLs; a refused one (notDelivered) is retried elsewhere, then skipped', async () => {
    reset((_q, _b, res) => jsonReply(res, 200, ready));
    const dead = await deadUrl();
    const urls: string[] = [];
    const client = new HttpInferenceClient(`${dead},${base}`, {
      retry: { maxAttempts: 2, initialDelayMs: 1 },
      fetch: (u, i) => (urls.push(new URL(String(u)).origin), fetch(u, i)),
    });
    assert.deepEqual(client.baseUrls, [dead, base]);
    for (let i = 0; i < 4; i++) await client.infer('m', [input()]);
    // The first call tried the dead URL, then the live one; later calls skip the dead one.
    assert.deepEqual(urls, [dead, base, base, base, base]);
  });

  test('a connection lost after the request went out: retried, except a sequence request', async () => {
    reset((req) => req.socket.destroy());
    let attempts = 0;
    const client = new HttpInferenceClient(base, {
      retry: { maxAttempts: 3, initialDelayMs: 1 },
      fetch: (u, i) => (attempts++, fetch(u, i)),
    });
    const lost = (e: unknown) => e instanceof InferenceServerError && e.code === 'UNAVAILABLE' && !e.notDelivered;
    await assert.rejects(client.infer('m', [input()]), lost);
    assert.equal(attempts, 3);
    attempts = 0;
    await assert.rejects(client.infer('m', [input()], { sequenceId: 42, sequenceStart: true }), lost);
    assert.equal(attempts, 1, 'a sequence request that may have run is not repeated');
  });

  test('a refused connection is retried even for a sequence request: it never got there', async () => {
    let attempts = 0;
    const client = new HttpInferenceClient(await deadUrl(), {
      retry: { maxAttempts: 3, initialDelayMs: 1 },
      fetch: (u, i) => (attempts++, fetch(u, i)),
    });
    await assert.rejects(
      client.infer('m', [input()], { sequenceId: 42 }),
      (e: unknown) => e instanceof InferenceServerError && e.notDelivered,
    );
    assert.equal(attempts, 5, '3 attempts after 2 transparent retries');
  });
});

describe('generate extension', () => {
  test('generate posts JSON to /generate (with version) and returns the JSON response', async () => {
    reset((_q, _b, res) => jsonReply(res, 200, { model_name: 'llm', model_version: '2', text_output: 'hi' }));
    const client = new HttpInferenceClient(base);
    const r = await client.generate('llm', { text_input: 'x', parameters: { max_tokens: 3 } }, { modelVersion: 2 });
    assert.equal(r.text_output, 'hi');
    assert.equal(seen[0]!.url, '/v2/models/llm/versions/2/generate');
    assert.deepEqual(JSON.parse(seen[0]!.body.toString()), { text_input: 'x', parameters: { max_tokens: 3 } });
  });

  test('generateStream yields one response per SSE event, written in pieces', async () => {
    reset((_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write('data: {"text_output":"Hel"}\n');
      res.write('\n: ping\n\ndata: {"text_out');
      setImmediate(() => res.end('put":"lo"}\n\n'));
    });
    const out: string[] = [];
    for await (const chunk of new HttpInferenceClient(base).generateStream('llm', { text_input: 'x' })) {
      out.push(String(chunk.text_output));
    }
    assert.deepEqual(out, ['Hel', 'lo']);
    assert.equal(seen[0]!.url, '/v2/models/llm/generate_stream');
  });

  test('an error event ends the stream with an InferenceServerError; an error status before it too', async () => {
    reset((_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"text_output":"a"}\n\ndata: {"error":"model crashed"}\n\ndata: {"text_output":"b"}\n\n');
    });
    const got: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of new HttpInferenceClient(base).generateStream('llm', {})) got.push(c.text_output);
      })(),
      { name: 'InferenceServerError', message: 'model crashed' },
    );
    assert.deepEqual(got, ['a']);
    reset((_q, _b, res) => jsonReply(res, 404, { error: "unknown model 'llm'" }));
    await assert.rejects(
      (async () => {
        for await (const _ of new HttpInferenceClient(base).generateStream('llm', {})) void _;
      })(),
      { code: 'NOT_FOUND', status: 404 },
    );
  });

  test('breaking out of generateStream early is fine; an aborted signal cancels it', async () => {
    reset((_q, _b, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n'); // and never ends
    });
    const client = new HttpInferenceClient(base);
    for await (const c of client.generateStream('llm', {})) {
      assert.equal(c['n'], 1);
      break;
    }
    const controller = new AbortController();
    await assert.rejects(
      (async () => {
        for await (const _ of client.generateStream('llm', {}, { signal: controller.signal })) controller.abort();
      })(),
      { code: 'CANCELLED' },
    );
  });
});

describe('request details', () => {
  test('binary inputs, Inference-Header-Content-Length, binary_data_output and identity encoding', async () => {
    reset((_q, _b, res) => jsonReply(res, 200, ready));
    await new HttpInferenceClient(base, { headers: { 'x-team': 'a' } }).infer('m', [input()], {
      requestId: 'r',
      priority: 2,
      headers: { 'x-call': 'b' },
    });
    const { headers, body } = seen[0]!;
    const len = Number(headers['inference-header-content-length']);
    const header = JSON.parse(body.subarray(0, len).toString());
    assert.deepEqual(header, {
      id: 'r',
      inputs: [{ name: 'X', shape: [2], datatype: 'INT32', parameters: { binary_data_size: 8 } }],
      parameters: { priority: 2, binary_data_output: true },
    });
    assert.deepEqual([...body.subarray(len)], [1, 0, 0, 0, 2, 0, 0, 0]);
    assert.equal(headers['accept-encoding'], 'identity');
    assert.equal(headers['x-team'], 'a');
    assert.equal(headers['x-call'], 'b');
  });

  test('gzip request compression sends a gzip body with Content-Encoding', async () => {
    reset((_q, _b, res) => jsonReply(res, 200, ready));
    const client = new HttpInferenceClient(base, { compression: { request: 'gzip', response: 'gzip' } });
    await client.infer('m', [input()]);
    const { headers, body } = seen[0]!;
    assert.equal(headers['content-encoding'], 'gzip');
    assert.equal(headers['accept-encoding'], 'gzip');
    const plain = gunzipSync(body);
    assert.deepEqual([...plain.subarray(Number(headers['inference-header-content-length']))], [1, 0, 0, 0, 2, 0, 0, 0]);
  });

  test('JSON outputs and binary outputs in one response decode alike', async () => {
    reset((_q, _b, res) => {
      const header = Buffer.from(
        JSON.stringify({
          model_name: 'm',
          model_version: '1',
          id: 'z',
          outputs: [
            { name: 'J', datatype: 'FP32', shape: [2], data: [1.5, -2] },
            { name: 'B', datatype: 'INT16', shape: [2], parameters: { binary_data_size: 4 } },
          ],
        }),
      );
      res.writeHead(200, { 'inference-header-content-length': String(header.length) });
      res.end(Buffer.concat([header, Buffer.from([1, 0, 255, 255])]));
    });
    const r = await new HttpInferenceClient(base).infer('m', [input()]);
    assert.deepEqual(r.asTypedArray('J'), new Float32Array([1.5, -2]));
    assert.deepEqual(r.asTypedArray('B'), new Int16Array([1, -1]));
    assert.deepEqual(r.output('B')!.parameters, {});
    assert.equal(r.id, 'z');
  });
});
