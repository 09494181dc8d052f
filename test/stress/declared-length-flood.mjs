#!/usr/bin/env node
// Streams that declare large messages and never send them (issue #12): --sessions HTTP/2
// connections with --streams gRPC calls each, every call sending only a 5-byte message prefix that
// declares --declared-mib MiB and a few body bytes; then every connection is dropped mid-message.
// Reports the server's address space (VmSize) and RSS while the streams are open, how long a
// health request takes meanwhile, and whether the server is still alive and serving afterwards.
// Exits 1 if the server died, a request failed, or VmSize grew by --max-vm-growth-mib or more.
// See test/stress/README.md.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseCli, ROOT } from '../../bench/lib/cli.mjs';
import { procMemory } from '../../bench/lib/proc-status.mjs';
import { startTensorgate } from '../../bench/lib/server-process.mjs';
import { connectH2, rawGrpcCall } from '../../packages/server/dist-test/helpers/compression-bombs.js';

const opts = parseCli('test/stress/declared-length-flood.mjs', 'Memory cost of streams that declare large messages.', {
  sessions: { default: 20, help: 'HTTP/2 connections' },
  streams: { default: 100, help: 'gRPC calls per connection' },
  'declared-mib': { default: 65, help: 'message length each prefix declares, in MiB (at most the server limit)' },
  transport: { default: 'native', type: 'string', help: 'gRPC transport: native or grpc-js' },
  'max-vm-growth-mib': { default: 4096, help: 'fail when VmSize grows by this much' },
});

const MIB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function status(pid) {
  const m = procMemory(pid, ['VmSize', 'VmRSS']);
  return { vm: m.VmSize / MIB, rss: m.VmRSS / MIB };
}

async function timedHealth(port) {
  const t0 = performance.now();
  const r = await globalThis.fetch(`http://127.0.0.1:${port}/v2/health/ready`);
  await r.arrayBuffer();
  return { status: r.status, ms: performance.now() - t0 };
}

const repo = await mkdtemp(join(tmpdir(), 'tensorgate-flood-'));
await cp(join(ROOT, 'examples/model_repository/simple'), join(repo, 'simple'), { recursive: true });
console.log(`node test/stress/declared-length-flood.mjs ${process.argv.slice(2).join(' ')}`.trim());
const server = await startTensorgate(repo, ['--grpc-transport', opts.transport]);
let exited = false;
server.child.once('exit', () => (exited = true));
let failed = false;
try {
  const before = status(server.pid);
  const idle = await timedHealth(server.httpPort);
  const prefix = Buffer.alloc(5 + 10);
  prefix.writeUInt32BE(opts['declared-mib'] * MIB, 1);
  const sessions = Array.from({ length: opts.sessions }, () => connectH2(server.grpcPort));
  for (const session of sessions) {
    for (let i = 0; i < opts.streams; i++) {
      rawGrpcCall(session, '/inference.GRPCInferenceService/ModelInfer', 'identity').write(prefix);
    }
  }
  await sleep(3000);
  const open = status(server.pid);
  const during = await timedHealth(server.httpPort);
  for (const session of sessions) session.destroy();
  await sleep(1000);
  const after = exited ? undefined : await timedHealth(server.httpPort).catch(() => undefined);
  const growth = open.vm - before.vm;
  failed = exited || after?.status !== 200 || during.status !== 200 || growth >= opts['max-vm-growth-mib'];
  console.log(
    `\n${opts.sessions * opts.streams} streams (${opts.sessions} connections), each declaring ${opts['declared-mib']} MiB, transport ${opts.transport}\n`,
  );
  console.log('| | VmSize | VmRSS | /v2/health/ready |');
  console.log('|---|---|---|---|');
  console.log(`| before | ${before.vm.toFixed(0)} MiB | ${before.rss.toFixed(0)} MiB | ${idle.ms.toFixed(0)} ms |`);
  console.log(`| streams open | ${open.vm.toFixed(0)} MiB | ${open.rss.toFixed(0)} MiB | ${during.ms.toFixed(0)} ms |`);
  console.log(
    `| connections dropped mid-message | ${exited ? 'server exited' : 'alive'} | | ${after ? `${after.status}, ${after.ms.toFixed(0)} ms` : 'no answer'} |`,
  );
} finally {
  await server.stop();
  await rm(repo, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
