#!/usr/bin/env node
// A closed-loop gRPC load generator: keeps `concurrency` unary calls in flight (each completion
// issues the next call from the same slot) for a duration or a request count, after a warm-up, and
// reports throughput and latency percentiles.
//
// Why hand-written rather than h2load or ghz: we need per-request latency percentiles from the same
// process that drives the load (h2load reports only coarse timing for gRPC and ghz is not packaged
// here), a fixed in-flight count, and the exact protobuf bytes our protos produce.
//
// Cost per request is kept to the grpc-js call itself: the request is encoded once (identity
// serializer), responses are not decoded (identity deserializer; only the first one is checked),
// each slot owns one callback made up front, and latencies go into a preallocated Float64Array
// (performance.now() returns a double, so timing allocates nothing).
//
// Used two ways:
//   - as a library by the bench scripts, through runLoadInChild(), which runs it in its own process so
//     the load never shares an event loop with the script or the server (the machine has 2 cores;
//     nothing is pinned, so client and server compete for them: see bench/README.md);
//   - from the command line, e.g. against a running server:
//       node bench/lib/grpc-load.mjs --port 8001 --body-file req.bin --concurrency 8 --duration 5
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';
import { summarize } from './stats.mjs';

/** The unary ModelInfer method path. */
export const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
const identity = (b) => b;
const RESULT_PREFIX = 'GRPC_LOAD_RESULT ';

/**
 * Runs one closed-loop measurement in this process.
 * spec: { port, host?, method?, body (Buffer) | bodyFile, concurrency, connections?, durationSec? | requests?,
 *         warmupSec? | warmupRequests?, itemsPerRequest?, expectOutputs?: string[], maxSamples?, deadlineSec? }
 * Returns { ok, failed, errors: { [grpc code name]: count }, firstError, elapsedSec, rps, itemsPerSec, responseBytes,
 *           latencyMs: { count, mean, p50, p90, p95, p99, max }, clientCpuUsPerRequest, ... }.
 */
export async function runLoad(spec) {
  const body = spec.body ?? readFileSync(spec.bodyFile);
  const concurrency = spec.concurrency ?? 1;
  const connections = Math.max(1, Math.min(spec.connections ?? 1, concurrency));
  const method = spec.method ?? MODEL_INFER;
  const target = `${spec.host ?? '127.0.0.1'}:${spec.port}`;
  const channelOptions = {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    'grpc.enable_channelz': 0,
    // Separate clients share one connection unless each has its own subchannel pool.
    ...(connections > 1 ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
  };
  const clients = Array.from(
    { length: connections },
    () => new grpc.Client(target, grpc.credentials.createInsecure(), channelOptions),
  );
  const deadlineMs = (spec.deadlineSec ?? 60) * 1000;
  try {
    await Promise.all(
      clients.map((c) => new Promise((res, rej) => c.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())))),
    );
    // The first response is decoded and checked, so a bench never counts wrong answers as throughput.
    const responseBytes = await checkFirstResponse(clients[0], method, body, spec.expectOutputs);
    const warm = { requests: spec.warmupRequests, durationSec: spec.warmupSec ?? (spec.warmupRequests ? 0 : 1) };
    const warmStats = await phase(clients, method, body, concurrency, warm, null, deadlineMs);
    if (warmStats.failed > 0)
      throw new Error(`warm-up: ${warmStats.failed} failed requests; first: ${warmStats.firstError}`);
    const cap = spec.maxSamples ?? (spec.requests ? spec.requests : 1_000_000);
    const samples = { buf: new Float64Array(cap) };
    const cpu0 = process.cpuUsage();
    const stats = await phase(
      clients,
      method,
      body,
      concurrency,
      { requests: spec.requests, durationSec: spec.durationSec ?? (spec.requests ? 0 : 5) },
      samples,
      deadlineMs,
    );
    const cpu = process.cpuUsage(cpu0);
    const items = spec.itemsPerRequest ?? 1;
    return {
      concurrency,
      connections,
      responseBytes,
      ok: stats.ok,
      failed: stats.failed,
      errors: stats.errors,
      firstError: stats.firstError,
      elapsedSec: stats.elapsedMs / 1000,
      rps: stats.ok / (stats.elapsedMs / 1000),
      itemsPerSec: (stats.ok * items) / (stats.elapsedMs / 1000),
      latencyMs: summarize(samples.buf, Math.min(stats.ok, samples.buf.length)),
      clientCpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, stats.ok + stats.failed),
      clientCpuShare: (cpu.user + cpu.system) / 1000 / stats.elapsedMs,
    };
  } finally {
    for (const c of clients) c.close();
  }
}

function checkFirstResponse(client, method, body, expectOutputs) {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method, identity, identity, body, (err, res) => {
      if (err) return reject(new Error(`first request failed: ${err.code} ${err.details ?? err.message}`));
      if (!expectOutputs) return resolve(res.length);
      const T = loadProtoRoot().lookupType('inference.ModelInferResponse');
      const msg = T.decode(res);
      const names = msg.outputs.map((o) => o.name);
      const missing = expectOutputs.filter((n) => !names.includes(n));
      if (missing.length) return reject(new Error(`response lacks outputs ${missing.join(', ')}; got ${names}`));
      resolve(res.length);
    });
  });
}

/** One closed-loop phase; records latencies into samples.buf when `samples` is given. */
function phase(clients, method, body, concurrency, limit, samples, deadlineMs) {
  // No limit at all (e.g. --warmup 0 with no request count) means an empty phase, not an endless one.
  if (!limit.requests && !limit.durationSec) return Promise.resolve({ ok: 0, failed: 0, errors: {}, elapsedMs: 0 });
  return new Promise((resolve) => {
    const starts = new Float64Array(concurrency);
    const errors = {};
    let firstError;
    let ok = 0;
    let failed = 0;
    let issued = 0;
    let active = concurrency;
    let lastDone = 0;
    const t0 = performance.now();
    const endAt = limit.durationSec ? t0 + limit.durationSec * 1000 : Infinity;
    const maxRequests = limit.requests || Infinity;
    const more = (now) => issued < maxRequests && now < endAt;
    // One options object per phase: grpc-js reads `deadline` synchronously when the call is created.
    const options = { deadline: Infinity };
    const slots = Array.from({ length: concurrency }, (_, i) => {
      const client = clients[i % clients.length];
      const issue = () => {
        issued++;
        options.deadline = Date.now() + deadlineMs;
        starts[i] = performance.now();
        client.makeUnaryRequest(method, identity, identity, body, options, done);
      };
      const done = (err) => {
        const now = performance.now();
        lastDone = now;
        if (err) {
          failed++;
          const code = grpc.status[err.code] ?? String(err.code);
          errors[code] = (errors[code] ?? 0) + 1;
          firstError ??= `${code}: ${err.details ?? err.message}`;
        } else {
          if (samples) {
            if (ok === samples.buf.length) {
              // Rare: more requests than expected; grow once (not a per-request allocation).
              const bigger = new Float64Array(samples.buf.length * 2);
              bigger.set(samples.buf);
              samples.buf = bigger;
            }
            samples.buf[ok] = now - starts[i];
          }
          ok++;
        }
        if (more(now)) issue();
        else if (--active === 0) resolve({ ok, failed, errors, firstError, elapsedMs: lastDone - t0 });
      };
      return issue;
    });
    for (const issue of slots) {
      if (more(performance.now())) issue();
      else if (--active === 0) resolve({ ok, failed, errors, firstError, elapsedMs: 0 });
    }
  });
}

/**
 * Runs runLoad in a child process (same spec; `body` is passed through a temporary file) and
 * returns its result. Rejects when the child fails; failed requests are in the result, not thrown.
 */
export async function runLoadInChild(spec) {
  const { body, ...rest } = spec;
  const dir = body ? mkdtempSync(join(tmpdir(), 'tg-load-')) : undefined;
  if (dir) writeFileSync(join(dir, 'body.bin'), body);
  const childSpec = dir ? { ...rest, bodyFile: join(dir, 'body.bin') } : rest;
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [fileURLToPath(import.meta.url), '--spec-json', JSON.stringify(childSpec)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
        if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)));
        else reject(new Error(`load generator exited with ${code ?? signal}:\n${err || out}`));
      });
    });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const CLI_HELP = `Usage: node bench/lib/grpc-load.mjs --port <grpc port> --body-file <file> [options]

Closed-loop gRPC load: keeps --concurrency unary calls in flight and prints throughput and latency.
The body file holds one encoded request message (protobuf, not gRPC-framed).

Options:
  --port <n>             gRPC port on --host (required)
  --host <addr>          default 127.0.0.1
  --body-file <path>     encoded request message (required)
  --method <path>        default ${MODEL_INFER}
  --concurrency <n>      calls in flight (default 1)
  --connections <n>      HTTP/2 connections the calls are spread over (default 1)
  --duration <s>         measure for this long (default 5) ...
  --requests <n>         ... or for this many requests
  --warmup <s>           warm-up seconds before measuring (default 1)
  --items <n>            items per request, for items/s (default 1)
  --expect-outputs <a,b> output names the first response must carry (ModelInfer only)
  --json                 print the result as JSON only`;

async function cliMain(argv) {
  const at = argv.indexOf('--spec-json');
  if (at >= 0) {
    const result = await runLoad(JSON.parse(argv[at + 1]));
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) return console.log(CLI_HELP);
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      ['port', 'host', 'body-file', 'method', 'concurrency', 'connections', 'duration', 'requests', 'warmup', 'items']
        .concat(['expect-outputs'])
        .map((k) => [k, { type: 'string' }])
        .concat([['json', { type: 'boolean' }]]),
    ),
  });
  if (!values.port || !values['body-file']) throw new Error(`--port and --body-file are required\n\n${CLI_HELP}`);
  const n = (k) => (values[k] === undefined ? undefined : Number(values[k]));
  const result = await runLoad({
    port: n('port'),
    host: values.host,
    bodyFile: values['body-file'],
    method: values.method,
    concurrency: n('concurrency'),
    connections: n('connections'),
    durationSec: n('duration'),
    requests: n('requests'),
    warmupSec: n('warmup'),
    itemsPerRequest: n('items'),
    expectOutputs: values['expect-outputs']?.split(','),
  });
  if (values.json) console.log(JSON.stringify(result));
  else {
    const l = result.latencyMs;
    console.log(
      `${result.ok} ok, ${result.failed} failed in ${result.elapsedSec.toFixed(2)} s: ${result.rps.toFixed(1)} req/s; ` +
        `latency ms p50 ${l.p50.toFixed(3)} p90 ${l.p90.toFixed(3)} p95 ${l.p95.toFixed(3)} p99 ${l.p99.toFixed(3)} ` +
        `max ${l.max.toFixed(3)}; client CPU ${result.clientCpuUsPerRequest.toFixed(1)} µs/req`,
    );
    if (result.failed) console.log(`errors: ${JSON.stringify(result.errors)}; first: ${result.firstError}`);
  }
  if (result.failed) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cliMain(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
