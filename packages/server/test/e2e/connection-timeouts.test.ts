/**
 * Connection timeouts on the real wire, set by flag to 1 s (issue #12): stalled HTTP heads and
 * bodies are shed with 408 on the HTTP and metrics ports, idle keep-alive connections closed,
 * silent gRPC connections dropped on both transports, while a slow but steady upload, a long
 * inference (a JS model sleeping 2.5 s), a slow SSE stream and a quiet ModelStreamInfer are served
 * in full. Keepalive: the server's pings reach clients, and a ping flood gets GOAWAY.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { grpc, grpcClient, unary, type Msg } from '../helpers/grpc-client.js';
import { eventually, startServer, tempRepository, type TestServer } from '../helpers/servers.js';

const TIMEOUTS = [
  '--http-header-timeout-secs=1',
  '--http-body-idle-timeout-secs=1',
  '--http-keepalive-timeout-secs=1',
  '--grpc-preface-timeout-secs=1',
  '--grpc-connection-idle-timeout-secs=1',
];
const SLEEP_MS = 2500;

let repo: { path: string; remove(): Promise<void> };
let s: TestServer;
let js: TestServer;
before(async () => {
  repo = await tempRepository(['sleep_ms', 'repeat_int32']);
  s = await startServer([...TIMEOUTS, '--grpc-keepalive-time=300', '--grpc-keepalive-permit-without-calls'], repo.path);
  js = await startServer(
    [...TIMEOUTS, '--grpc-transport=grpc-js', '--allow-http=false', '--allow-metrics=false'],
    repo.path,
  );
});
after(async () => {
  await s.close();
  await js.close();
  await repo.remove();
});

const portOf = (url: string): number => Number(new URL(url).port);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw TCP client: writes each chunk after its delay, collects everything until the server closes. */
async function rawHttp(port: number, chunks: Array<[delayMs: number, data: string]>): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  const closed = once(socket, 'close');
  for (const [delay, data] of chunks) {
    await sleep(delay);
    if (socket.destroyed) break;
    socket.write(data);
  }
  await closed;
  return received;
}

function status(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
}

function errorOf(response: string): string {
  return (JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: string }).error;
}

const sleepBody = (ms: number, padding = 0): string =>
  JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'UINT32', shape: [1], data: [ms] }] }).replace(
    '{',
    `{${' '.repeat(padding)}`,
  );

describe('HTTP', { concurrency: true }, () => {
  test('a connection that sends nothing gets 408 and is closed', async () => {
    const response = await rawHttp(portOf(s.http), []);
    assert.equal(status(response), 408);
    assert.equal(errorOf(response), '408 Request Timeout: the request head did not arrive within 1 s');
  });

  test('a head dripping in a line at a time is cut at the header timeout (slowloris)', async () => {
    const drip: Array<[number, string]> = [[0, 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n']];
    for (let i = 0; i < 20; i++) drip.push([300, `X-Slow-${i}: y\r\n`]);
    const response = await rawHttp(portOf(s.http), drip);
    assert.equal(status(response), 408);
  });

  test('a body that stops arriving gets 408 and the connection closes', async () => {
    const response = await rawHttp(portOf(s.http), [
      [
        0,
        'POST /v2/models/sleep_ms/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"inp',
      ],
    ]);
    assert.equal(status(response), 408);
    assert.equal(errorOf(response), '408 Request Timeout: no request body bytes for 1 s');
  });

  test('a slow but steady upload (3 s in all, a chunk every 300 ms) is served', async () => {
    const body = sleepBody(5, 600);
    const head = `POST /v2/models/sleep_ms/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const chunks: Array<[number, string]> = [[0, head]];
    const size = Math.ceil(body.length / 10);
    for (let i = 0; i < body.length; i += size) chunks.push([300, body.slice(i, i + size)]);
    const response = await rawHttp(portOf(s.http), chunks);
    assert.equal(status(response), 200, response);
    assert.match(response, /"data":\[5\]/);
  });

  test('a long inference (handler running, nothing on the wire) is served, then the idle keep-alive connection closes', async () => {
    const body = sleepBody(SLEEP_MS);
    const response = await rawHttp(portOf(s.http), [
      [
        0,
        `POST /v2/models/sleep_ms/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ],
    ]);
    // rawHttp returned: the server closed the kept-alive connection after the answer.
    assert.equal(status(response), 200, response);
    assert.match(response, /Keep-Alive: timeout=1/i);
    assert.match(response, new RegExp(`"data":\\[${SLEEP_MS}\\]`));
  });

  test('an SSE stream with 1.5 s between events is streamed in full', async () => {
    const r = await fetch(`${s.http}/v2/models/repeat_int32/generate_stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ IN: [7, 8], DELAY: [1500, 1500], WAIT: [0] }),
    });
    assert.equal(r.status, 200);
    const events = (await r.text()).split('\n').filter((l) => l.startsWith('data: '));
    assert.equal(events.filter((e) => e.includes('"OUT"')).length, 2, events.join('\n'));
  });

  test('the metrics port has the same limits and still serves', async () => {
    const response = await rawHttp(portOf(s.metrics), [[0, 'GET /metrics HTTP/1.1\r\n']]);
    assert.equal(status(response), 408);
    assert.equal((await fetch(s.metrics)).status, 200);
  });
});

const sleepRequest = (ms: number): Msg => ({
  model_name: 'sleep_ms',
  inputs: [{ name: 'INPUT0', datatype: 'UINT32', shape: [1] }],
  raw_input_contents: [Buffer.from(new Uint32Array([ms]).buffer)],
});

async function silentClosed(port: number): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  // Read, or the server's FIN would never be noticed.
  socket.resume();
  await once(socket, 'close');
}

for (const [transport, server] of [
  ['native', (): TestServer => s],
  ['grpc-js', (): TestServer => js],
] as const) {
  describe(`gRPC (${transport})`, { concurrency: true }, () => {
    test('a TCP connection that sends nothing is closed', async () => {
      await silentClosed(server().grpcPort);
    });

    test('a long unary inference outlives the idle timeout', async () => {
      const client = grpcClient(server().grpcPort);
      try {
        const res = await unary(client, 'ModelInfer', sleepRequest(SLEEP_MS));
        assert.equal(Buffer.from(res['raw_output_contents'][0]).readUInt32LE(0), SLEEP_MS);
      } finally {
        client.close();
      }
    });

    test('a ModelStreamInfer stream quiet for 1.5 s at a time keeps its connection', async () => {
      const client = grpcClient(server().grpcPort);
      const call = client['ModelStreamInfer']() as grpc.ClientDuplexStream<Msg, Msg>;
      const outs: number[] = [];
      call.on('data', (m: Msg) => {
        if (m['infer_response']?.['raw_output_contents']?.length > 0)
          outs.push(Buffer.from(m['infer_response']['raw_output_contents'][0]).readInt32LE(0));
      });
      const ended = new Promise<void>((resolve, reject) => {
        call.on('status', (st: grpc.StatusObject) =>
          st.code === grpc.status.OK ? resolve() : reject(new Error(st.details)),
        );
        call.on('error', reject);
      });
      call.write({
        model_name: 'repeat_int32',
        inputs: [
          { name: 'IN', datatype: 'INT32', shape: [2] },
          { name: 'DELAY', datatype: 'UINT32', shape: [2] },
          { name: 'WAIT', datatype: 'UINT32', shape: [1] },
        ],
        raw_input_contents: [
          Buffer.from(new Int32Array([7, 8]).buffer),
          Buffer.from(new Uint32Array([1500, 1500]).buffer),
          Buffer.from(new Uint32Array([0]).buffer),
        ],
      });
      await eventually(() => outs.length === 2, 60);
      call.end();
      await ended;
      client.close();
      assert.deepEqual(outs, [7, 8]);
    });
  });
}

describe('gRPC keepalive (native)', { concurrency: true }, () => {
  test("the server's keepalive pings reach a client, which stays connected while it answers them", async () => {
    const session = http2.connect(`http://127.0.0.1:${s.grpcPort}`);
    session.on('error', () => undefined);
    let pings = 0;
    session.on('ping', () => (pings += 1));
    await eventually(() => pings >= 2, 50);
    session.destroy();
  });

  test('a ping flood gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings"', async () => {
    const session = http2.connect(`http://127.0.0.1:${s.grpcPort}`);
    session.on('error', () => undefined);
    const goaway = new Promise<[number, string]>((resolve) =>
      session.once('goaway', (code: number, _last: number, data?: Buffer) => resolve([code, data?.toString() ?? ''])),
    );
    await once(session, 'connect');
    for (let i = 0; i < 5; i++) session.ping(() => undefined);
    assert.deepEqual(await goaway, [http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 'too_many_pings']);
  });
});
