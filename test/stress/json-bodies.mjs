#!/usr/bin/env node
// The cost of one large JSON infer body (issue #12 item 7): a body of --mib MiB made of (1) empty
// objects `{},{},...` (refused by the JSON container limit before parsing), (2) nested arrays
// `[[[[...]]]]` (refused by the depth limit), (3) one flat array of numbers (parsed: what a
// JSON body of that size costs) and (4) the same numbers gzip-compressed (~1000:1, refused by
// --http-max-json-inflation-ratio before parsing; add --ratio 0 to see what they cost without it).
// For each it reports the answer, how long it took, the server's
// peak RSS growth (Linux VmHWM, reset through /proc/<pid>/clear_refs) and the slowest
// /v2/health/live answer meanwhile (how long other clients waited). Exits 1 if the server died or
// the first two were not refused with 400 (the gzip body with 413 while the ratio applies).
// See test/stress/README.md.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { parseCli, ROOT } from '../../bench/lib/cli.mjs';
import { procMemory, resetPeakRss } from '../../bench/lib/proc-status.mjs';
import { startTensorgate } from '../../bench/lib/server-process.mjs';

const opts = parseCli('test/stress/json-bodies.mjs', 'Cost of large JSON infer bodies.', {
  mib: { default: 64, help: 'body size in MiB (at most --http-max-body-bytes, 65 MiB by default)' },
  ratio: { default: 32, help: "the server's --http-max-json-inflation-ratio (0: no limit)" },
});

const size = opts.mib * 1024 * 1024 - 200;
const flat =
  '{"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":[' + '0,'.repeat(size / 2 - 1) + '0]}]}';
// [name, body, Content-Encoding, expected status]
const bodies = [
  ['empty objects', '{"inputs":[' + '{},'.repeat(Math.floor(size / 3) - 1) + '{}]}', undefined, 400],
  ['nested arrays', '{"inputs":' + '['.repeat(size / 2) + ']'.repeat(size / 2) + '}', undefined, 400],
  ['flat numbers', flat, undefined, undefined],
  ['flat numbers, gzip', gzipSync(flat), 'gzip', opts.ratio > 0 ? 413 : undefined],
];

const hwm = (pid) => procMemory(pid, ['VmHWM']).VmHWM / (1024 * 1024);

const repo = await mkdtemp(join(tmpdir(), 'tensorgate-json-'));
await cp(join(ROOT, 'examples/model_repository/simple'), join(repo, 'simple'), { recursive: true });
console.log(`node test/stress/json-bodies.mjs ${process.argv.slice(2).join(' ')}`.trim());
console.log('\n| body | answer | time | peak RSS growth | slowest /v2/health/live meanwhile |');
console.log('|---|---|---|---|---|');
let failed = false;
for (const [name, body, encoding, expected] of bodies) {
  const server = await startTensorgate(repo, ['--http-max-json-inflation-ratio', String(opts.ratio)]);
  try {
    resetPeakRss(server.pid);
    const before = hwm(server.pid);
    let slowest = 0;
    let done = false;
    const probe = (async () => {
      while (!done) {
        const t = performance.now();
        await (await globalThis.fetch(`http://127.0.0.1:${server.httpPort}/v2/health/live`)).arrayBuffer();
        slowest = Math.max(slowest, performance.now() - t);
        await sleep(20);
      }
    })();
    const t0 = performance.now();
    const r = await globalThis.fetch(`http://127.0.0.1:${server.httpPort}/v2/models/simple/infer`, {
      method: 'POST',
      headers: encoding === undefined ? {} : { 'content-encoding': encoding },
      body,
    });
    const text = await r.text();
    const ms = performance.now() - t0;
    done = true;
    await probe;
    const growth = hwm(server.pid) - before;
    if (expected !== undefined && r.status !== expected) failed = true;
    const answer = `${r.status} ${text.slice(0, 90).replace(/\|/g, '/')}`;
    console.log(
      `| ${name} (${(body.length / 1e6).toFixed(1)} MB) | ${answer} | ${(ms / 1000).toFixed(2)} s | ${growth.toFixed(0)} MiB | ${slowest.toFixed(0)} ms |`,
    );
  } catch (e) {
    failed = true;
    console.log(`| ${name} | failed: ${e.message} | | | |`);
  } finally {
    await server.stop();
  }
}
await rm(repo, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
