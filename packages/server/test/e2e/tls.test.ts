/**
 * TLS on the wire: gRPC over TLS and mutual TLS (Triton's --grpc-use-ssl* flags) and HTTPS
 * (--http-use-ssl), driven with @tensorgate/client, node:https and a child process using
 * NODE_EXTRA_CA_CERTS; and the startup errors for bad TLS files and flag combinations.
 * Certificates: test/fixtures/tls (a test CA, a localhost server certificate, a client certificate).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { InferInput, InferenceClient, InferenceServerError, type GrpcClientOptions } from '@tensorgate/client';
import { createServer, parseSettings } from 'tensorgate';
import { EXAMPLES, startServer, type TestServer } from '../helpers/servers.js';

// Resolved from the repository root, so the same path works from test/ and from dist-test/.
const ROOT = new URL('../../../../', import.meta.url);
const FIXTURES = new URL('packages/server/test/fixtures/tls/', ROOT);
const file = (name: string): string => fileURLToPath(new URL(name, FIXTURES));
const CA = file('ca.crt');
const SERVER_CRT = file('server.crt');
const SERVER_KEY = file('server.key');
const CLIENT_CRT = file('client.crt');
const CLIENT_KEY = file('client.key');
const ca = readFileSync(CA);
const BIN = fileURLToPath(new URL('packages/server/bin/tensorgate.js', ROOT));
const CLIENT_MODULE = new URL('packages/client/dist/index.js', ROOT).href;

const GRPC_TLS = ['--grpc-use-ssl', '--grpc-server-cert', SERVER_CRT, '--grpc-server-key', SERVER_KEY];
const HTTP_TLS = ['--http-use-ssl', '--http-server-cert', SERVER_CRT, '--http-server-key', SERVER_KEY];

/** The `simple` model's inputs: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1. */
function simpleInputs(): InferInput[] {
  return [
    new InferInput('INPUT0', [1, 16], 'INT32').setData(Int32Array.from({ length: 16 }, (_, i) => i)),
    new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(1)),
  ];
}

/** Checks isServerLive and an inference on `simple` through `client`. */
async function liveAndInfer(client: ReturnType<typeof InferenceClient.grpc | typeof InferenceClient.http>) {
  assert.equal(await client.isServerLive(), true);
  const result = await client.infer('simple', simpleInputs());
  assert.deepEqual(
    [...result.asTypedArray('OUTPUT0')],
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    [...result.asTypedArray('OUTPUT1')],
    Array.from({ length: 16 }, (_, i) => i - 1),
  );
}

/** Expects `isServerLive` over gRPC with `options` to fail with UNAVAILABLE. */
async function refusedOverGrpc(target: string, options: GrpcClientOptions): Promise<void> {
  const client = InferenceClient.grpc(target, { ...options, timeoutMs: 20_000 });
  try {
    await assert.rejects(client.isServerLive(), (err: unknown) => {
      assert.ok(err instanceof InferenceServerError, String(err));
      assert.equal(err.code, 'UNAVAILABLE', err.message);
      assert.equal(err.transport, 'grpc');
      return true;
    });
  } finally {
    await client.close();
  }
}

describe('gRPC over TLS (--grpc-use-ssl)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer(GRPC_TLS);
  });
  after(async () => {
    await s?.close();
  });

  test('a client trusting the test CA runs isServerLive and an inference, by name and by IP', async () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const client = InferenceClient.grpc(`${host}:${s.grpcPort}`, { tls: { rootCerts: ca } });
      try {
        await liveAndInfer(client);
        assert.equal((await client.getModelMetadata('simple')).name, 'simple');
      } finally {
        await client.close();
      }
    }
  });

  test('a plaintext client fails with UNAVAILABLE', async () => {
    await refusedOverGrpc(`localhost:${s.grpcPort}`, {});
  });

  test('a TLS client that does not trust the CA (system roots only) fails with UNAVAILABLE', async () => {
    await refusedOverGrpc(`localhost:${s.grpcPort}`, { tls: true });
  });

  test('HTTP stays plain when only gRPC uses TLS', async () => {
    const r = await fetch(`${s.http}/v2/health/live`);
    assert.equal(r.status, 200);
  });
});

describe('gRPC over mutual TLS (--grpc-use-ssl-mutual)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer([
      '--grpc-use-ssl-mutual',
      '--grpc-server-cert',
      SERVER_CRT,
      '--grpc-server-key',
      SERVER_KEY,
      '--grpc-root-cert',
      CA,
    ]);
  });
  after(async () => {
    await s?.close();
  });

  test('a client with a certificate signed by the root CA runs isServerLive and an inference', async () => {
    const client = InferenceClient.grpc(`localhost:${s.grpcPort}`, {
      tls: { rootCerts: ca, privateKey: readFileSync(CLIENT_KEY), certChain: readFileSync(CLIENT_CRT) },
    });
    try {
      await liveAndInfer(client);
    } finally {
      await client.close();
    }
  });

  test('a client without a certificate is refused with UNAVAILABLE', async () => {
    await refusedOverGrpc(`localhost:${s.grpcPort}`, { tls: { rootCerts: ca } });
  });

  test('a client whose certificate the root CA did not sign is refused', async () => {
    // The CA's own certificate and key: self-signed, not issued by (nor valid as a client of) the CA.
    await refusedOverGrpc(`localhost:${s.grpcPort}`, {
      tls: { rootCerts: ca, privateKey: readFileSync(file('ca.key')), certChain: ca },
    });
  });

  test('a plaintext client fails with UNAVAILABLE', async () => {
    await refusedOverGrpc(`localhost:${s.grpcPort}`, {});
  });
});

/** A `fetch` over node:https trusting `ca`: Node's global fetch takes no per-call CA. */
function httpsFetch(agent: https.Agent): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(new Headers(init?.headers));
    const body = init?.body == null ? undefined : Buffer.from(await new Response(init.body).arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(url, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value ?? '']) out.append(name, v);
          }
          const empty = method === 'HEAD' || status === 204 || status === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: out }));
        });
      });
      req.on('error', reject);
      init?.signal?.addEventListener('abort', () => req.destroy(init.signal?.reason as Error));
      req.end(body);
    });
  };
}

/** GET over node:https; resolves with the status and body text. */
function httpsGet(url: string, options: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('HTTPS (--http-use-ssl)', () => {
  let s: TestServer;
  let base: string;
  const agent = new https.Agent({ ca, keepAlive: true });
  before(async () => {
    s = await startServer(HTTP_TLS);
    base = `https://localhost:${s.server.ports.http}`;
  });
  after(async () => {
    agent.destroy();
    await s?.close();
  });

  test('node:https with the test CA gets /v2/health/live and server metadata (curl --cacert)', async () => {
    const live = await httpsGet(`${base}/v2/health/live`, { ca });
    assert.equal(live.status, 200);
    const meta = await httpsGet(`https://127.0.0.1:${s.server.ports.http}/v2`, { ca });
    assert.equal(meta.status, 200);
    assert.equal((JSON.parse(meta.body) as { name: string }).name, 'tensorgate');
  });

  test('without the CA the certificate is rejected; plain HTTP on the port gets no API answer', async () => {
    await assert.rejects(httpsGet(`${base}/v2/health/live`, {}), /self[- ]signed|unable to (get|verify)/i);
    const plain = await fetch(`http://localhost:${s.server.ports.http}/v2/health/live`).then(
      (r) => r.status,
      (e: unknown) => e,
    );
    assert.notEqual(plain, 200);
  });

  test('@tensorgate/client over HTTPS with a fetch built on node:https', async () => {
    const client = InferenceClient.http(base, { fetch: httpsFetch(agent) });
    try {
      await liveAndInfer(client);
      assert.equal(await client.isModelReady('simple'), true);
    } finally {
      await client.close();
    }
  });

  test('@tensorgate/client over HTTPS in a process with NODE_EXTRA_CA_CERTS', async () => {
    const code = `
      const { InferenceClient, InferInput } = await import(${JSON.stringify(CLIENT_MODULE)});
      const client = InferenceClient.http(${JSON.stringify(base)});
      const a = new InferInput('INPUT0', [1, 16], 'INT32').setData(new Int32Array(16).fill(5));
      const b = new InferInput('INPUT1', [1, 16], 'INT32').setData(new Int32Array(16).fill(2));
      const r = await client.infer('simple', [a, b]);
      process.stdout.write(JSON.stringify({ live: await client.isServerLive(), sum: [...r.asTypedArray('OUTPUT0')] }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: CA },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(exit, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { live: true, sum: new Array(16).fill(7) });
  });
});

describe('TLS startup errors', () => {
  const silent = pino({ level: 'silent' });
  const base = ['--model-repository', EXAMPLES, '--host', '127.0.0.1', '--http-port', '0', '--grpc-port', '0'];
  const start = (args: string[]) =>
    createServer(parseSettings([...base, '--metrics-port', '0', ...args], {}), { logger: silent });

  test('a missing certificate file names the flag and the path', async () => {
    const missing = fileURLToPath(new URL('nope.crt', FIXTURES));
    await assert.rejects(
      start(['--grpc-use-ssl', '--grpc-server-cert', missing, '--grpc-server-key', SERVER_KEY]),
      (err: Error) => {
        assert.equal(err.message, `--grpc-server-cert '${missing}' cannot be read: no such file`);
        return true;
      },
    );
  });

  test('a key that does not match the certificate names both flags', async () => {
    await assert.rejects(
      start(['--grpc-use-ssl', '--grpc-server-cert', SERVER_CRT, '--grpc-server-key', CLIENT_KEY]),
      (err: Error) => {
        assert.equal(
          err.message,
          `--grpc-server-key '${CLIENT_KEY}' does not match the certificate in --grpc-server-cert '${SERVER_CRT}'`,
        );
        return true;
      },
    );
    await assert.rejects(
      start(['--http-use-ssl', '--http-server-cert', CLIENT_CRT, '--http-server-key', SERVER_KEY]),
      /--http-server-key '.*server\.key' does not match the certificate in --http-server-cert '.*client\.crt'/,
    );
  });

  test('a file that is not PEM is refused', async () => {
    const readme = fileURLToPath(new URL('README.md', FIXTURES));
    await assert.rejects(
      start(['--grpc-use-ssl', '--grpc-server-cert', readme, '--grpc-server-key', SERVER_KEY]),
      /--grpc-server-cert '.*README\.md' is not a PEM certificate/,
    );
    await assert.rejects(
      start(['--grpc-use-ssl', '--grpc-server-cert', SERVER_CRT, '--grpc-server-key', SERVER_CRT]),
      /--grpc-server-key '.*server\.crt' is not an unencrypted PEM private key/,
    );
    await assert.rejects(
      start(['--grpc-use-ssl-mutual', ...GRPC_TLS.slice(1), '--grpc-root-cert', SERVER_KEY]),
      /--grpc-root-cert '.*server\.key' is not a PEM certificate/,
    );
  });

  /** Runs `tensorgate serve` with `args`; resolves with its exit code and stderr. */
  async function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, 'serve', ...base, '--metrics-port', '0', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, stderr };
  }

  test('the CLI exits 1 with a clear message for bad flag combinations and bad files', async () => {
    const noCert = await cli(['--grpc-use-ssl']);
    assert.equal(noCert.code, 1);
    assert.match(noCert.stderr, /--grpc-use-ssl needs --grpc-server-cert and --grpc-server-key/);

    const noRoot = await cli(['--grpc-use-ssl-mutual', ...GRPC_TLS.slice(1)]);
    assert.equal(noRoot.code, 1);
    assert.match(noRoot.stderr, /--grpc-use-ssl-mutual needs --grpc-root-cert/);

    const mismatch = await cli([...HTTP_TLS.slice(0, 3), '--http-server-key', CLIENT_KEY]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /startup failed: --http-server-key '.*client\.key' does not match/);
  });
});
