/**
 * The Kubernetes scale-out story on loopback: a headless Service is a DNS name whose A records
 * are the ready pods, simulated by a tiny DNS server (test/helpers/tiny-dns.ts) whose answer the
 * test changes; the pods are three `tensorgate serve` processes on 127.0.0.1, 127.0.0.2 and
 * 127.0.0.3 with the same gRPC port and `--grpc-max-connection-age`. A long-lived client on
 * `dns://<dns server>/replicas.test:<port>` starts with one replica in DNS; when the name
 * "scales" to three, the max-age GOAWAYs make grpc-js reconnect, re-resolve and spread its calls
 * over all three, without a failed call.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { eventually, EXAMPLES } from '../helpers/servers.js';
import { startReplica, stopReplica, successCount, type Replica } from '../helpers/replicas.js';
import { startTinyDns, type TinyDns } from '../helpers/tiny-dns.js';

const CHILD = fileURLToPath(new URL('../helpers/dns-client-load.js', import.meta.url));
const MODEL = 'sleep_ms';
const replicas: Replica[] = [];
let dns: TinyDns | undefined;
after(async () => {
  await Promise.all(replicas.map(stopReplica));
  await dns?.close();
});

test('a dns:/// client moves onto replicas added to the name after max-age GOAWAYs, losing no call', async () => {
  const common = [
    '--model-repository',
    EXAMPLES,
    '--model-control-mode',
    'explicit',
    '--load-model',
    MODEL,
    '--grpc-max-connection-age',
    '500',
    '--grpc-max-connection-age-grace',
    '30000',
  ];
  const first = await startReplica(common, '127.0.0.1');
  replicas.push(first);
  const port = String(first.ports.grpc);
  replicas.push(
    ...(await Promise.all(
      ['127.0.0.2', '127.0.0.3'].map((host) => startReplica([...common, '--grpc-port', port], host)),
    )),
  );
  dns = await startTinyDns(['127.0.0.1']);

  const child = spawn(
    process.execPath,
    [CHILD, JSON.stringify({ target: `dns://127.0.0.1:${dns.port}/replicas.test:${port}`, concurrency: 6 })],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, GRPC_NODE_USE_ALTERNATIVE_RESOLVER: 'true' } },
  );
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await eventually(() => lines.includes('READY'), 300);
    await eventually(async () => (await successCount(first, MODEL)) >= 30, 300);
    // Only the replica in DNS serves.
    const [, b, c] = replicas as [Replica, Replica, Replica];
    assert.deepEqual([await successCount(b, MODEL), await successCount(c, MODEL)], [0, 0]);

    // "Scale" the headless Service to three pods: after their connections age out, the client
    // re-resolves and the new replicas get calls too.
    dns.addresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    await eventually(
      async () => (await Promise.all([b, c].map((r) => successCount(r, MODEL)))).every((n) => n >= 30),
      600,
    );
  } finally {
    child.stdin!.write('stop\n');
    await exited;
  }
  const result = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice('RESULT '.length)) as {
    ok: number;
    failures: number;
    first: string[];
  };
  assert.equal(result.failures, 0, JSON.stringify(result));
  assert.ok(result.ok > 0);
});
