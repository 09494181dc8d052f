/**
 * A child process for scale-out-dns.test.ts: a closed-loop load through @tensorgate/client on a
 * `dns://<dns server>/<name>:<port>` target. It runs in its own process because grpc-js reads
 * GRPC_NODE_USE_ALTERNATIVE_RESOLVER (its c-ares resolver, the only one that honours a DNS
 * server named in the target) when it is first loaded. Usage:
 * `node dns-client-load.js '<json: target, concurrency>'`; prints `READY` after the first
 * success, and on a line `stop` on stdin prints `RESULT <json: ok, failures, first>` and exits.
 */
import { createInterface } from 'node:readline';
import { InferenceClient, InferInput } from '@tensorgate/client';
import { closedLoop } from './replicas.js';

const spec = JSON.parse(process.argv[2]!) as { target: string; concurrency: number };
const client = InferenceClient.grpc(spec.target, {
  retry: { maxAttempts: 5, initialDelayMs: 20, maxDelayMs: 200 },
  waitForReady: true,
  // Re-resolve at once when a connection closes (grpc-js' default waits at least 30 s between
  // resolutions); no TXT lookups for a service config.
  channelOptions: { 'grpc.dns_min_time_between_resolutions_ms': 100, 'grpc.service_config_disable_resolution': 1 },
});
const inputs = [new InferInput('INPUT0', [1], 'UINT32').setData([10])];
let ready = false;
const load = closedLoop(spec.concurrency, async () => {
  await client.infer('sleep_ms', inputs, { timeoutMs: 30_000 });
  if (!ready) {
    ready = true;
    process.stdout.write('READY\n');
  }
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  void load.stop().then(async () => {
    await client.close();
    const result = { ok: load.ok(), failures: load.failures.length, first: load.failures.slice(0, 3).map(String) };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  });
});
