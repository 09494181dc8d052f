/**
 * CORS on the HTTP API (`--http-cors-origin`): a browser page from an allowed origin can preflight
 * and call inference with the binary tensor extension (it must be able to read
 * Inference-Header-Content-Length); other origins and a server without the flag get no CORS
 * headers, so browsers refuse them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceClient, InferInput } from '@tensorgate/client';
import { startServer, type TestServer } from '../helpers/servers.js';

const PAGE = 'http://app.example.test';

describe('CORS', () => {
  let withCors: TestServer;
  let without: TestServer;
  before(async () => {
    withCors = await startServer(['--http-cors-origin', PAGE, '--http-cors-origin', 'http://other.example.test']);
    without = await startServer();
  });
  after(async () => {
    await withCors?.close();
    await without?.close();
  });

  test('a preflight from an allowed origin is answered with the binary extension header allowed', async () => {
    const r = await fetch(`${withCors.http}/v2/models/simple/infer`, {
      method: 'OPTIONS',
      headers: {
        origin: PAGE,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,inference-header-content-length',
      },
    });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), PAGE);
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /Inference-Header-Content-Length/i);
  });

  test('responses (success and error) carry the origin and expose Inference-Header-Content-Length', async () => {
    // The HTTP client sends binary tensors and reads the header length back, as a browser page would.
    const seen: Headers[] = [];
    const client = InferenceClient.http(withCors.http, {
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('origin', PAGE);
        const r = await fetch(input, { ...init, headers });
        seen.push(r.headers);
        return r;
      },
    });
    const a = new InferInput('INPUT0', [1, 16], 'INT32').setData(new Int32Array(16).fill(2));
    const b = new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1));
    const result = await client.infer('simple', [a, b]);
    assert.deepEqual([...result.asTypedArray('OUTPUT0')], new Array(16).fill(3));
    const h = seen.at(-1)!;
    assert.equal(h.get('access-control-allow-origin'), PAGE);
    assert.match(h.get('access-control-expose-headers') ?? '', /Inference-Header-Content-Length/i);
    await client.close();

    const bad = await fetch(`${withCors.http}/v2/models/nope/infer`, {
      method: 'POST',
      headers: { origin: PAGE },
      body: '{}',
    });
    assert.equal(bad.status, 400); // no inputs: an error reply, still readable by the page
    assert.equal(bad.headers.get('access-control-allow-origin'), PAGE);
  });

  test('an origin not on the list, and a server without the flag, get no CORS headers', async () => {
    const other = await fetch(`${withCors.http}/v2/health/ready`, { headers: { origin: 'http://evil.example.test' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const off = await fetch(`${without.http}/v2/health/ready`, { headers: { origin: PAGE } });
    assert.equal(off.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${without.http}/v2/models/simple/infer`, {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 405, 'no CORS: OPTIONS is just a method this path does not serve');
  });
});
