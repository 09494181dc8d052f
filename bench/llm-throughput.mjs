#!/usr/bin/env node
// LLM streaming through tensorgate vs the same engine in process (issue #5): aggregate generated
// tokens/s at 1, 4 and 8 concurrent streams over SSE (OpenAI /v1/completions, stream: true) and
// gRPC (ModelStreamInfer, stream=true), against node-llama-cpp driven directly in this process with
// the server's settings (same GGUF, threads, context_size, batch_size, sequences; greedy, same
// prompt and max_tokens), all in one run with interleaved rounds. Also the time to first token the
// server adds, and one `tensorgate perf --streaming` run on the same server for comparison.
// Targets in the issue: >= 90 % of in-process tokens/s at each level; < 2 ms added TTFT.
//
// Models: `tiny` (the 266 KB example: per-token compute is microseconds, so the per-chunk cost of
// the protocol dominates) and `medium` (a bigger random llama written at run time with gguf-gen:
// per-token compute dominates, as with real models).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, main, parseCli, printCommand } from './lib/cli.mjs';
import { assertModelsReady } from './lib/grpc-control.mjs';
import { loadInProcessLlm } from './lib/llm-inprocess.mjs';
import { makeLlmRepository } from './lib/llm-setup.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { grpcWorkerFactory, runStreams, sseWorker } from './lib/llm-stream-clients.mjs';
import { markdownTable, median, num, percentileSorted } from './lib/stats.mjs';
import { cpuDelta, threadCpuMs } from './lib/thread-cpu.mjs';

const TRANSPORTS = ['in-process', 'sse', 'grpc'];
const RESULT = 'LLM_THROUGHPUT_RESULT ';

const opts = parseCli(
  import.meta.url,
  'Aggregate tokens/s and time to first token of LLM streams over SSE and gRPC vs node-llama-cpp in process.',
  {
    model: { type: 'string', default: 'both', help: 'tiny | medium | both' },
    'max-tokens': { default: 64, help: 'tokens generated per request (greedy; the models never stop early)' },
    rounds: { default: 3, help: 'interleaved rounds (tokens/s: median; TTFT: percentiles over all rounds)' },
    concurrency: { type: 'list', default: '1,4,8', help: 'concurrent streams (max_parallel_sequences = the largest)' },
    'requests-tiny': { default: 24, help: 'requests per stream and measurement, tiny model' },
    'requests-medium': { default: 3, help: 'requests per stream and measurement, medium model' },
    prompt: { type: 'string', default: 'The quick brown fox jumps over the lazy dog.', help: 'the prompt' },
    'medium-layers': { default: 8, help: 'medium model: layers' },
    'medium-embd': { default: 512, help: 'medium model: embedding width' },
    'medium-ff': { default: 1408, help: 'medium model: feed-forward width' },
    'medium-heads': { default: 8, help: 'medium model: attention heads' },
    'skip-perf': { type: 'boolean', help: 'do not run tensorgate perf --streaming' },
    'stream-interval-ms': {
      default: 0,
      help: "the served model's stream_interval_ms parameter (0: a chunk per token)",
    },
    child: { type: 'string', help: '(internal) run one client: sse | grpc' },
    port: { type: 'number', help: '(internal) server port' },
    requests: { type: 'number', help: '(internal) requests per stream' },
  },
);

const quantiles = (xs) => {
  const s = Float64Array.from(xs).sort();
  return { p50: percentileSorted(s, 50), p99: percentileSorted(s, 99), n: s.length };
};

/** One measurement's record, as every transport reports it. */
function record(r, sampleText) {
  return {
    tokens: r.tokens,
    elapsedMs: r.elapsedMs,
    tps: r.tokens / (r.elapsedMs / 1000),
    ttftMs: r.ttftMs,
    gaps: quantiles(r.gapsMs),
    ok: r.ok,
    failed: r.failed,
    errors: r.errors,
    firstError: r.firstError,
    sampleText,
  };
}

/** Child mode: one client measurement, the result as one JSON line on stdout. */
async function child() {
  const [c, n, m] = [opts.concurrency[0], opts.requests, opts['max-tokens']];
  const factory =
    opts.child === 'sse'
      ? sseWorker(opts.port, 'llm', opts.prompt, m)
      : grpcWorkerFactory(opts.port, 'llm', opts.prompt, m);
  try {
    const cpu0 = process.cpuUsage();
    const r = await runStreams(c, n, factory);
    const cpu = process.cpuUsage(cpu0);
    const rec = { ...record(r, r.sampleText), clientCpuMs: (cpu.user + cpu.system) / 1000 };
    process.stdout.write(RESULT + JSON.stringify(rec) + '\n');
  } finally {
    factory.closeChannel?.();
  }
}

function runChild(transport, port, concurrency, requests) {
  const args = [fileURLToPath(import.meta.url), '--child', transport, '--port', String(port)];
  args.push('--concurrency', String(concurrency), '--requests', String(requests));
  args.push('--max-tokens', String(opts['max-tokens']), '--prompt', opts.prompt);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (code !== 0 || !line) reject(new Error(`${transport} client exited ${code}: ${out}`));
      else resolve(JSON.parse(line.slice(RESULT.length)));
    });
  });
}

async function inProcess(engine, concurrency, requests) {
  const makeWorker = () => ({ request: (warm) => engine.generate(opts.prompt, warm ? 2 : opts['max-tokens']) });
  const r = await runStreams(concurrency, requests, makeWorker);
  return record(r, r.sampleText);
}

/** `tensorgate perf --streaming` at concurrency 1 on the same server; its JSON step. */
function runPerf(grpcPort, intervalMs) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-perf-'));
  try {
    const data = join(dir, 'llm-data.json');
    const sampling = JSON.stringify({ max_tokens: opts['max-tokens'], temperature: 0 });
    const entry = { text_input: [opts.prompt], stream: [true], sampling_parameters: [sampling] };
    writeFileSync(data, JSON.stringify({ data: [{ ...entry, exclude_input_in_output: [true] }] }));
    const argv = ['packages/server/bin/tensorgate.js', 'perf', '-m', 'llm', '-i', 'grpc'];
    argv.push('-u', `127.0.0.1:${grpcPort}`, '--streaming', '--input-data', data, '--concurrency-range', '1');
    argv.push('-p', String(intervalMs), '-r', '5', '--format', 'json', '-q');
    const shown = argv.map((a) => (a === data ? '<data.json>' : a)).join(' ');
    const p = spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`tensorgate perf exited ${p.status}: ${p.stderr}${p.stdout}`);
    return { step: JSON.parse(p.stdout).steps[0], command: `tensorgate ${shown.split(' ').slice(1).join(' ')}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchModel(kind) {
  const maxC = Math.max(...opts.concurrency);
  const medium = {
    nLayer: opts['medium-layers'],
    nEmbd: opts['medium-embd'],
    nFf: opts['medium-ff'],
    nHead: opts['medium-heads'],
    nHeadKv: opts['medium-heads'],
    nCtx: 1024,
    f16: true,
  };
  const requests = kind === 'tiny' ? opts['requests-tiny'] : opts['requests-medium'];
  const interval = opts['stream-interval-ms'];
  const repo = await makeLlmRepository(kind, maxC, medium, interval > 0 ? { stream_interval_ms: interval } : {});
  let server;
  let engine;
  const results = {}; // results[c][transport] = [round records]
  let perf;
  try {
    server = await startTensorgate(repo.path);
    await assertModelsReady(server.grpcPort, ['llm']);
    engine = await loadInProcessLlm(repo.settings);
    const portOf = (t) => (t === 'sse' ? server.httpPort : server.grpcPort);
    // CPU per thread of the process that runs the engine (this one, or the server) over the measurement.
    const measure = async (t, c, n) => {
      const pid = t === 'in-process' ? process.pid : server.pid;
      const before = threadCpuMs(pid);
      const rec = await (t === 'in-process' ? inProcess(engine, c, n) : runChild(t, portOf(t), c, n));
      return { ...rec, cpu: cpuDelta(before, threadCpuMs(pid)) };
    };
    // Same engine, same text: one greedy request per transport must give the same output.
    const check = {};
    for (const t of TRANSPORTS) check[t] = await measure(t, 1, 1);
    for (let r = 0; r < opts.rounds; r++) {
      for (const c of opts.concurrency) {
        const order = TRANSPORTS.map((_, i) => TRANSPORTS[(i + r) % TRANSPORTS.length]);
        for (const t of order) {
          const rec = await measure(t, c, requests);
          ((results[c] ??= {})[t] ??= []).push(rec);
          process.stderr.write(`${kind} round ${r + 1} c=${c} ${t}: ${num(rec.tps)} tok/s\n`);
        }
      }
    }
    if (!opts['skip-perf']) perf = runPerf(server.grpcPort, kind === 'tiny' ? 1000 : 2500);
    return { kind, repo, requests, results, check, perf, settings: repo.settings };
  } finally {
    await server?.stop();
    await engine?.dispose();
    repo.remove();
  }
}

function report(res) {
  const { kind, results, settings, perf } = res;
  const s = settings;
  console.log(
    `\n### ${kind} model (${num(res.repo.modelBytes / 1e6, 2)} MB GGUF; threads ${s.threads}, context_size ${s.contextSize}, ` +
      `batch_size ${s.batchSize}, max_parallel_sequences ${s.sequences}; ${opts['max-tokens']} tokens per request, ` +
      `${res.requests} requests per stream, ${opts.rounds} rounds)\n`,
  );
  const texts = TRANSPORTS.map((t) => res.check[t].sampleText);
  console.log(`greedy output identical on all three paths: ${texts.every((x) => x === texts[0]) ? 'yes' : 'NO'}\n`);
  const tps = (c, t) => median(results[c][t].map((x) => x.tps));
  const ratio = (c, t) => tps(c, t) / tps(c, 'in-process');
  console.log(
    markdownTable(
      ['streams', 'in-process tok/s', 'SSE tok/s', 'SSE / in-process', 'gRPC tok/s', 'gRPC / in-process'],
      opts.concurrency.map((c) => [
        c,
        num(tps(c, 'in-process')),
        num(tps(c, 'sse')),
        `${num(100 * ratio(c, 'sse'))} %`,
        num(tps(c, 'grpc')),
        `${num(100 * ratio(c, 'grpc'))} %`,
      ]),
    ),
  );
  const ttft = (c, t) => quantiles(results[c][t].flatMap((x) => x.ttftMs));
  const ms = (x) => num(x, 2);
  const added = (c, t) => {
    const [a, b] = [ttft(c, t), ttft(c, 'in-process')];
    return `${ms(a.p50 - b.p50)} / ${ms(a.p99 - b.p99)}`;
  };
  console.log('\nTime to first token, ms (p50 / p99 over all rounds; added = server − in-process):\n');
  console.log(
    markdownTable(
      ['streams', 'n', 'in-process', 'SSE', 'SSE added', 'gRPC', 'gRPC added'],
      opts.concurrency.map((c) => {
        const q = (t) => `${ms(ttft(c, t).p50)} / ${ms(ttft(c, t).p99)}`;
        return [c, ttft(c, 'sse').n, q('in-process'), q('sse'), added(c, 'sse'), q('grpc'), added(c, 'grpc')];
      }),
    ),
  );
  const gap = (c, t) => {
    const g = median(results[c][t].map((x) => x.gaps.p50));
    const g99 = median(results[c][t].map((x) => x.gaps.p99));
    return `${num(g, 3)} / ${num(g99, 3)}`;
  };
  console.log('\nInter-token gap, ms (p50 / p99 per measurement, median over rounds):\n');
  console.log(
    markdownTable(
      ['streams', 'in-process', 'SSE', 'gRPC'],
      opts.concurrency.map((c) => [c, gap(c, 'in-process'), gap(c, 'sse'), gap(c, 'grpc')]),
    ),
  );
  if (perf) {
    const st = perf.step;
    const us = (x) => num(x / 1000, 2);
    const c1 = opts.concurrency.includes(1) ? 1 : opts.concurrency[0];
    const mine = ttft(c1, 'grpc');
    console.log(`\n\`${perf.command}\` (stable: ${st.stable}, ${st.requests.ok} requests) vs this bench, gRPC:\n`);
    console.log(
      markdownTable(
        ['', 'streams', 'TTFT p50 ms', 'TTFT p99 ms', 'inter-token p50 ms', 'inter-token p99 ms', 'tok/s'],
        [
          [
            'tensorgate perf --streaming',
            1,
            us(st.streaming.firstResponseUs.p50),
            us(st.streaming.firstResponseUs.p99),
            us(st.streaming.interResponseUs.p50),
            us(st.streaming.interResponseUs.p99),
            `${num(st.throughput.requestsPerSec * opts['max-tokens'])} (req/s × max_tokens)`,
          ],
          [
            'llm-throughput.mjs gRPC',
            c1,
            ms(mine.p50),
            ms(mine.p99),
            ...gap(c1, 'grpc').split(' / '),
            num(tps(c1, 'grpc')),
          ],
        ],
      ),
    );
  }
  console.log(
    '\nWhere the time goes, µs per generated token (medians over rounds): wall = 1 / aggregate tok/s; ' +
      'CPU of the engine process (in-process: this script; otherwise the server) split into its event loop ' +
      '(main thread) and all other threads (llama.cpp decodes on a libuv worker with threads=1); the client ' +
      "process's CPU (in-process: none):\n",
  );
  const perTok = (c, t, f) => median(results[c][t].map((x) => (1000 * f(x)) / x.tokens));
  console.log(
    markdownTable(
      ['streams', 'path', 'wall', 'event loop CPU', 'other threads CPU', 'client CPU'],
      opts.concurrency.flatMap((c) =>
        TRANSPORTS.map((t) => [
          c,
          t,
          num(1e6 / tps(c, t)),
          num(perTok(c, t, (x) => x.cpu?.main ?? NaN)),
          num(perTok(c, t, (x) => x.cpu?.other ?? NaN)),
          t === 'in-process' ? '–' : num(perTok(c, t, (x) => x.clientCpuMs)),
        ]),
      ),
    ),
  );
  // On a machine whose cores are all busy (other load, or the client sharing them), tokens/s follow
  // CPU spent per token rather than wall time: this ratio is the tokens/s ratio such a machine
  // gives, and it is far steadier than wall time when the machine is shared.
  const cpuPerToken = (c, t) =>
    perTok(c, t, (x) => (x.cpu?.main ?? NaN) + (x.cpu?.other ?? NaN) + (t === 'in-process' ? 0 : x.clientCpuMs));
  const cpuRatio = (c, t) => `${num((100 * cpuPerToken(c, 'in-process')) / cpuPerToken(c, t))} %`;
  console.log(
    '\nCPU per token, µs (engine process, all threads, + client; medians over rounds) and the ratio ' +
      'in-process / path, the tokens/s ratio when the cores are saturated:\n',
  );
  console.log(
    markdownTable(
      ['streams', 'in-process', 'SSE', 'SSE ratio', 'gRPC', 'gRPC ratio'],
      opts.concurrency.map((c) => [
        c,
        num(cpuPerToken(c, 'in-process')),
        num(cpuPerToken(c, 'sse')),
        cpuRatio(c, 'sse'),
        num(cpuPerToken(c, 'grpc')),
        cpuRatio(c, 'grpc'),
      ]),
    ),
  );
  const met = opts.concurrency.every((c) => ratio(c, 'sse') >= 0.9 && ratio(c, 'grpc') >= 0.9);
  console.log(`\ntarget >= 90 % of in-process tokens/s at every level: ${met ? 'met' : 'NOT met'}`);
  let failed = 0;
  const errors = {};
  for (const c of opts.concurrency) {
    for (const t of TRANSPORTS) {
      for (const x of results[c][t]) {
        failed += x.failed;
        for (const [k, v] of Object.entries(x.errors)) errors[k] = (errors[k] ?? 0) + v;
      }
    }
  }
  if (perf && perf.step.requests.failed > 0) failed += perf.step.requests.failed;
  console.log(`\nall rounds (tok/s): ${JSON.stringify(rounds(results))}`);
  return { failed, errors };
}

function rounds(results) {
  const out = {};
  for (const [c, byT] of Object.entries(results)) {
    out[c] = Object.fromEntries(Object.entries(byT).map(([t, xs]) => [t, xs.map((x) => Math.round(x.tps))]));
  }
  return out;
}

main(async () => {
  if (opts.child) return child();
  const kinds = opts.model === 'both' ? ['tiny', 'medium'] : [opts.model];
  if (!kinds.every((k) => k === 'tiny' || k === 'medium')) throw new Error(`--model: tiny, medium or both`);
  printCommand();
  let failed = 0;
  const errors = {};
  for (const kind of kinds) {
    const r = report(await benchModel(kind));
    failed += r.failed;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  if (failed > 0) {
    console.log(`\nFAILED REQUESTS: ${failed} ${JSON.stringify(errors)}`);
    process.exitCode = 1;
  }
});
