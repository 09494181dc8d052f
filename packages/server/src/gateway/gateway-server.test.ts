import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { pino } from 'pino';
import { buildGatewayApp } from './gateway-server.js';
import type { GatewayTransport, UpstreamCall } from './gateway-transport.js';
import type { OutputTensor } from './response-shaping.js';
import { validateRoutes } from './route-file.js';
import { UpstreamPool, type GatewayClock } from './upstream-pool.js';

const routes = validateRoutes(
  {
    title: 'test gateway',
    routes: [
      {
        path: '/double',
        model: 'double',
        timeoutMs: 50,
        inputs: { X: { from: '$.x', datatype: 'INT32', shape: [-1] } },
        outputs: { y: 'Y', best: { tensor: 'Y', argmax: true, labels: ['a', 'b', 'c'] } },
        example: { x: [1, 2, 3] },
      },
      {
        path: '/echo/stream',
        model: 'echo',
        mode: 'stream',
        inputs: { T: { from: '$.text', datatype: 'BYTES', shape: [1] } },
        outputs: { text: 'T' },
      },
      {
        path: '/echo',
        model: 'echo',
        mode: 'collect',
        inputs: { T: { from: '$.text', datatype: 'BYTES', shape: [1] } },
        outputs: { text: 'T' },
      },
    ],
  },
  { file: 'test' },
);

const idleClock: GatewayClock = { now: () => 0, setTimer: () => () => undefined };

/** Upstreams whose behaviour the test sets: `fail` holds an error to throw per address. */
function fakeGateway(opts: { cors?: string[]; fail?: Record<string, unknown>; streamFailAfter?: number } = {}) {
  const calls: { address: string; call: UpstreamCall }[] = [];
  const ready: Record<string, boolean> = { 'a:1': true, 'b:1': true };
  const transport = (address: string): GatewayTransport => ({
    isServerReady: async () => ready[address] ?? false,
    close: () => undefined,
    async infer(call) {
      calls.push({ address, call });
      const err = opts.fail?.[address];
      if (err) throw err;
      const x = call.inputs[0]!.values as number[];
      return [{ name: 'Y', datatype: 'INT32', shape: [x.length], values: x.map((v) => v * 2) }];
    },
    async *stream(call) {
      calls.push({ address, call });
      const err = opts.fail?.[address];
      if (err) throw err;
      const words = String(call.inputs[0]!.values[0]).split(' ');
      for (let i = 0; i < words.length; i++) {
        if (opts.streamFailAfter === i) throw Object.assign(new Error('model crashed'), { code: 'INTERNAL' });
        const piece = (i > 0 ? ' ' : '') + words[i]!;
        yield [{ name: 'T', datatype: 'BYTES', shape: [1], values: [piece] } satisfies OutputTensor];
      }
    },
  });
  const pool = new UpstreamPool<GatewayTransport>({
    addresses: ['a:1', 'b:1'],
    createTransport: transport,
    healthIntervalMs: 1000,
    clock: idleClock,
  });
  const app = buildGatewayApp({ routes, pool, logger: pino({ level: 'silent' }), corsOrigins: opts.cors ?? [] });
  return { app, pool, calls, ready };
}

const unavailable = Object.assign(new Error('connection refused'), { code: 'UNAVAILABLE' });

describe('gateway HTTP', () => {
  test('a unary route maps the body, calls upstream and shapes the reply', async () => {
    const { app, pool, calls } = fakeGateway();
    await pool.start();
    const res = await app.inject({ method: 'POST', url: '/double', payload: { x: [1, 5, 2] } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { y: [2, 10, 4], best: 'b' });
    const { call } = calls[0]!;
    assert.equal(call.model, 'double');
    assert.equal(call.timeoutMs, 50);
    assert.deepEqual(call.inputs[0]!.shape, [3]);
    assert.deepEqual(call.outputs, [{ name: 'Y' }]);
    // curl -d sends form encoding; the body is still read as JSON.
    const form = await app.inject({
      method: 'POST',
      url: '/double',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '{"x": [1]}',
    });
    assert.deepEqual(form.json(), { y: 2, best: 'a' }, 'a one-element output is squeezed to a scalar');
    await pool.close();
  });

  test('client mistakes are 400 with {"error"}', async () => {
    const { app, pool, calls } = fakeGateway();
    await pool.start();
    const cases: [string, RegExp][] = [
      ['{"x": [1, 2', /^the request body is not valid JSON/],
      ['', /^the request body is empty/],
      ['{}', /^missing required field '\$\.x'$/],
      ['{"x": ["a"]}', /^field '\$\.x': element 0: expected an integer for INT32, got string "a"$/],
      ['{"x": [1, 3000000000]}', /^field '\$\.x': element 1: 3000000000 is out of range for INT32$/],
      // The server's JSON limits (core/json-limits.ts), before the route flattens lists recursively.
      [
        `{"x": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}`,
        /^the request body is nested too deeply \(more than 64 levels of arrays and objects\)$/,
      ],
    ];
    for (const [payload, message] of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/double',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.equal(res.statusCode, 400, payload);
      assert.match(res.json().error, message);
    }
    assert.equal(calls.length, 0, 'nothing reached an upstream');
    // At the limit (the body and 63 nested lists: 64 levels) the request goes through.
    const atLimit = await app.inject({
      method: 'POST',
      url: '/double',
      headers: { 'content-type': 'application/json' },
      payload: `{"x": ${'['.repeat(63)}4${']'.repeat(63)}}`,
    });
    assert.equal(atLimit.statusCode, 200, atLimit.body);
    assert.deepEqual(atLimit.json().y, 8);
    const notFound = await app.inject({ method: 'POST', url: '/nope', payload: {} });
    assert.equal(notFound.statusCode, 404);
    assert.deepEqual(notFound.json(), { error: 'no route for POST /nope' });
    await pool.close();
  });

  test('upstream failures: INVALID_ARG 400, INTERNAL 502, DEADLINE 504, RESOURCE_EXHAUSTED 429', async () => {
    const cases: [unknown, number, RegExp][] = [
      [Object.assign(new Error('unexpected shape'), { code: 'INVALID_ARG' }), 400, /^unexpected shape$/],
      [
        Object.assign(new Error('model threw'), { code: 'INTERNAL' }),
        502,
        /^upstream error \(INTERNAL\): model threw$/,
      ],
      [Object.assign(new Error('no model'), { code: 'NOT_FOUND' }), 502, /^upstream error \(NOT_FOUND\)/],
      [
        Object.assign(new Error('too slow'), { code: 'DEADLINE_EXCEEDED' }),
        504,
        /^upstream deadline exceeded: too slow$/,
      ],
      [Object.assign(new Error('queue full'), { code: 'RESOURCE_EXHAUSTED' }), 429, /^queue full$/],
    ];
    for (const [err, status, message] of cases) {
      const { app, pool, calls } = fakeGateway({ fail: { 'a:1': err, 'b:1': err } });
      await pool.start();
      const res = await app.inject({ method: 'POST', url: '/double', payload: { x: [1] } });
      assert.equal(res.statusCode, status);
      assert.match(res.json().error, message);
      assert.equal(calls.length, 1, 'not retried');
      await pool.close();
    }
  });

  test('UNAVAILABLE is retried on the other upstream; 503 when every upstream fails or none is ready', async () => {
    const one = fakeGateway({ fail: { 'a:1': unavailable } });
    await one.pool.start();
    const ok = await one.app.inject({ method: 'POST', url: '/double', payload: { x: [1] } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(
      one.calls.map((c) => c.address),
      ['a:1', 'b:1'],
    );
    await one.pool.close();

    const both = fakeGateway({ fail: { 'a:1': unavailable, 'b:1': unavailable } });
    await both.pool.start();
    const res = await both.app.inject({ method: 'POST', url: '/double', payload: { x: [1] } });
    assert.equal(res.statusCode, 503);
    assert.match(res.json().error, /^upstream unavailable: connection refused$/);
    await both.pool.close();

    const none = fakeGateway();
    none.ready['a:1'] = false;
    none.ready['b:1'] = false;
    await none.pool.start();
    const down = await none.app.inject({ method: 'POST', url: '/double', payload: { x: [1] } });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { error: 'no healthy upstream server' });
    const health = await none.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 503);
    assert.equal(health.json().ready, false);
    await none.pool.close();
  });

  test('/health lists each upstream', async () => {
    const { app, pool, ready } = fakeGateway();
    ready['b:1'] = false;
    await pool.start();
    const res = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      ready: true,
      upstreams: [
        { address: 'a:1', ready: true, inFlight: 0, requests: 0 },
        { address: 'b:1', ready: false, inFlight: 0, requests: 0, lastError: 'server is not ready' },
      ],
    });
    await pool.close();
  });

  test('a stream route sends one event per response, then done', async () => {
    const { app, pool } = fakeGateway();
    await pool.start();
    const res = await app.inject({ method: 'POST', url: '/echo/stream', payload: { text: 'one two three' } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(
      res.body,
      'data: {"text":"one"}\n\ndata: {"text":" two"}\n\ndata: {"text":" three"}\n\nevent: done\ndata: {"responses":3}\n\n',
    );
    const collected = await app.inject({ method: 'POST', url: '/echo', payload: { text: 'one two three' } });
    assert.deepEqual(collected.json(), { text: 'one two three' });
    await pool.close();
  });

  test('stream failures: before the first event a plain error, after it an error event', async () => {
    const early = fakeGateway({ streamFailAfter: 0 });
    await early.pool.start();
    const a = await early.app.inject({ method: 'POST', url: '/echo/stream', payload: { text: 'one two' } });
    assert.equal(a.statusCode, 502);
    assert.deepEqual(a.json(), { error: 'upstream error (INTERNAL): model crashed' });
    const bad = await early.app.inject({ method: 'POST', url: '/echo/stream', payload: { txt: 'x' } });
    assert.equal(bad.statusCode, 400);
    await early.pool.close();

    const late = fakeGateway({ streamFailAfter: 1 });
    await late.pool.start();
    const b = await late.app.inject({ method: 'POST', url: '/echo/stream', payload: { text: 'one two' } });
    assert.equal(b.statusCode, 200);
    assert.equal(
      b.body,
      'data: {"text":"one"}\n\nevent: error\ndata: {"error":"upstream error (INTERNAL): model crashed","status":502}\n\n',
    );
    assert.equal(late.calls.length, 1, 'a started stream is never retried');
    await late.pool.close();
  });

  test('CORS: allowed origins get headers, preflight answers 204, others get none', async () => {
    const { app, pool } = fakeGateway({ cors: ['https://app.example'] });
    await pool.start();
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/double',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET, POST, OPTIONS');
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
    const ok = await app.inject({
      method: 'POST',
      url: '/double',
      headers: { origin: 'https://app.example' },
      payload: { x: [1] },
    });
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(ok.headers['vary'], 'Origin');
    const sse = await app.inject({
      method: 'POST',
      url: '/echo/stream',
      headers: { origin: 'https://app.example' },
      payload: { text: 'x' },
    });
    assert.equal(sse.headers['access-control-allow-origin'], 'https://app.example');
    const other = await app.inject({
      method: 'POST',
      url: '/double',
      headers: { origin: 'https://evil.example' },
      payload: { x: [1] },
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const off = fakeGateway();
    const none = await off.app.inject({
      method: 'POST',
      url: '/double',
      headers: { origin: 'https://app.example' },
      payload: { x: [1] },
    });
    assert.equal(none.headers['access-control-allow-origin'], undefined);
    const noPreflight = await off.app.inject({
      method: 'OPTIONS',
      url: '/double',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(noPreflight.statusCode, 404, 'without CORS, OPTIONS is an unknown route');
    await pool.close();
  });

  test('CORS headers are on failures too: bad JSON, 404, upstream errors, a stream failing early', async () => {
    const internal = Object.assign(new Error('model threw'), { code: 'INTERNAL' });
    const { app, pool } = fakeGateway({ cors: ['https://app.example'], fail: { 'a:1': internal, 'b:1': internal } });
    await pool.start();
    const origin = { origin: 'https://app.example' };
    const replies = [
      await app.inject({
        method: 'POST',
        url: '/double',
        headers: { ...origin, 'content-type': 'application/json' },
        payload: '{',
      }),
      await app.inject({ method: 'POST', url: '/nope', headers: origin, payload: {} }),
      await app.inject({ method: 'POST', url: '/double', headers: origin, payload: { x: [1] } }),
      await app.inject({ method: 'POST', url: '/echo/stream', headers: origin, payload: { text: 'x' } }),
    ];
    assert.deepEqual(
      replies.map((r) => [r.statusCode, r.headers['access-control-allow-origin'], r.headers['content-type']]),
      [
        [400, 'https://app.example', 'application/json; charset=utf-8'],
        [404, 'https://app.example', 'application/json; charset=utf-8'],
        [502, 'https://app.example', 'application/json; charset=utf-8'],
        [502, 'https://app.example', 'application/json; charset=utf-8'],
      ],
    );
    assert.deepEqual(replies[3]!.json(), { error: 'upstream error (INTERNAL): model threw' });
    await pool.close();
  });

  test('CORS with `*`: any origin, SSE included; preflights carry methods and max age', async () => {
    const { app, pool } = fakeGateway({ cors: ['*'] });
    await pool.start();
    const pre = await app.inject({
      method: 'OPTIONS',
      url: '/echo/stream',
      headers: { origin: 'https://any.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.statusCode, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET, POST, OPTIONS');
    assert.equal(pre.headers['access-control-max-age'], '600');
    const sse = await app.inject({
      method: 'POST',
      url: '/echo/stream',
      headers: { origin: 'https://any.example' },
      payload: { text: 'a b' },
    });
    assert.equal(sse.statusCode, 200);
    assert.equal(sse.headers['access-control-allow-origin'], '*');
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);
    assert.match(sse.body, /event: done/);
    await pool.close();
  });

  test('/openapi.json and /docs describe every route', async () => {
    const { app } = fakeGateway();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.0.3');
    assert.deepEqual(Object.keys(doc.paths), ['/double', '/echo/stream', '/echo', '/health']);
    const op = doc.paths['/double'].post;
    assert.deepEqual(op.requestBody.content['application/json'].schema.required, ['x']);
    assert.equal(op.requestBody.content['application/json'].schema.properties.x.type, 'array');
    assert.deepEqual(op.requestBody.content['application/json'].example, { x: [1, 2, 3] });
    assert.deepEqual(Object.keys(op.responses), ['200', '400', '429', '502', '503', '504']);
    assert.ok(doc.paths['/echo/stream'].post.responses['200'].content['text/event-stream']);
    const page = await app.inject({ method: 'GET', url: '/docs', headers: { host: 'gw.local:8080' } });
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /POST<\/span> \/echo\/stream/);
    assert.match(
      page.body,
      /curl -s -X POST http:\/\/gw\.local:8080\/double -H &#39;content-type: application\/json&#39; -d &#39;\{&#34;x&#34;:\[1,2,3\]\}&#39;/,
    );
    assert.doesNotMatch(page.body, /<script|https?:\/\/cdn/);
  });
});

describe('gateway connection timeouts', () => {
  async function rawUntilClosed(port: number, data: string): Promise<string> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.write(data);
    await once(socket, 'close');
    return received;
  }

  test('a stalled head and a stalled body get 408 and are closed; a good request is served', async () => {
    const { pool } = fakeGateway();
    const app = buildGatewayApp({
      routes,
      pool,
      logger: pino({ level: 'silent' }),
      timeouts: { headerTimeoutMs: 400, bodyIdleTimeoutMs: 400, keepAliveTimeoutMs: 400 },
    });
    await pool.start();
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const port = (app.server.address() as { port: number }).port;
      const head = await rawUntilClosed(port, 'POST /double HTTP/1.1\r\nHost: x\r\n');
      assert.match(head, /^HTTP\/1\.1 408 /);
      assert.match(head, /the request head did not arrive/);
      const body = await rawUntilClosed(port, 'POST /double HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"x"');
      assert.match(body, /^HTTP\/1\.1 408 /);
      assert.match(body, /no request body bytes/);
      const r = await fetch(`http://127.0.0.1:${port}/double`, { method: 'POST', body: JSON.stringify({ x: [1, 2] }) });
      assert.equal(r.status, 200);
    } finally {
      await app.close();
      await pool.close();
    }
  });
});
