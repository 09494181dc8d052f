#!/usr/bin/env node
// Where streamed text leaves the llm backend relative to llama.cpp's decode (issue #16): the share
// of chunks the engine hands on while the next decode batch is running (so sending them overlaps
// with it) rather than between batches (on the decode's critical path). Runs the server's LlmEngine
// (packages/server/dist) on the tiny example GGUF with N concurrent greedy streams, and counts, at
// each delivered chunk, whether a native decodeBatch call is in flight (node-llama-cpp's private
// `_ctx`, wrapped in a Proxy here: bench-only instrumentation). An ordering measurement, not a
// timing one: it holds on a loaded machine where tokens/s do not.
import pino from 'pino';
import { ROOT, main, parseCli, printCommand } from './lib/cli.mjs';
import { markdownTable } from './lib/stats.mjs';

const opts = parseCli(import.meta.url, 'Share of streamed LLM chunks delivered while the next decode runs.', {
  concurrency: { type: 'list', default: '1,4,8', help: 'concurrent streams' },
  requests: { default: 3, help: 'requests per stream' },
  'max-tokens': { default: 64, help: 'tokens per request' },
});

main(async () => {
  printCommand();
  const dist = `${ROOT}/packages/server/dist/backends/llm`;
  const { LlmEngine } = await import(`${dist}/llm-engine.js`);
  const { parseSamplingParameters } = await import(`${dist}/sampling-parameters.js`);
  const maxC = Math.max(...opts.concurrency);
  const settings = {
    modelFile: `${ROOT}/examples/model_repository/llm/1/model.gguf`,
    contextSize: 1024,
    threads: 1,
    batchSize: 512,
    maxParallelSequences: maxC,
    maxQueueSize: maxC,
    gpuLayers: 0,
    streamIntervalMs: 0,
  };
  const engine = await LlmEngine.load(settings, pino({ level: 'silent' }));
  const native = engine.context._ctx;
  let inFlight = 0;
  const decodeBatch = (...args) => {
    inFlight++;
    const p = native.decodeBatch(...args);
    p.finally(() => inFlight--).catch(() => {});
    return p;
  };
  engine.context._ctx = new Proxy(native, {
    get: (t, k) => (k === 'decodeBatch' ? decodeBatch : typeof t[k] === 'function' ? t[k].bind(t) : t[k]),
  });
  const sampling = parseSamplingParameters(JSON.stringify({ max_tokens: opts['max-tokens'], temperature: 0 }));
  const rows = [];
  try {
    for (const c of opts.concurrency) {
      let during = 0;
      let between = 0;
      let tokens = 0;
      await Promise.all(
        Array.from({ length: c }, async () => {
          for (let i = 0; i < opts.requests; i++) {
            const request = {
              prompt: 'The quick brown fox',
              chat: undefined,
              stream: true,
              includePrompt: false,
              sampling,
            };
            const r = await engine.generate(request, new AbortController().signal, () => {
              if (inFlight > 0) during++;
              else between++;
            });
            tokens += r.outputTokens;
          }
        }),
      );
      const chunks = during + between;
      rows.push([c, tokens, chunks, during, `${((100 * during) / chunks).toFixed(1)} %`]);
    }
  } finally {
    await engine.dispose();
  }
  console.log(markdownTable(['streams', 'tokens', 'chunks delivered', 'while a decode runs', 'share'], rows));
});
