// The in-process baseline of bench/llm-throughput.mjs: the same GGUF driven by node-llama-cpp in
// this process, with no server, the way tensorgate's llm backend drives it
// (packages/server/src/backends/llm/llm-engine.ts): one Llama runtime with `maxThreads: threads`,
// one context with `sequences` sequences, and per request a fresh sequence, a LlamaCompletion and
// generateCompletionWithMeta with the same options (greedy, no repeat penalty, onToken counting,
// onTextChunk). Concurrent requests run on different sequences of the one context, so
// node-llama-cpp decodes them together, exactly as in the server.
import { performance } from 'node:perf_hooks';

/**
 * Loads the model; settings = { modelFile, threads, contextSize, batchSize, sequences }.
 * Returns { generate(prompt, maxTokens), dispose() }; generate resolves with
 * { tokens, ttftMs, gapsMs: number[], finishReason, text }.
 */
export async function loadInProcessLlm(settings) {
  const nlc = await import('node-llama-cpp');
  const llama = await nlc.getLlama({
    gpu: false,
    build: 'never',
    maxThreads: settings.threads,
    logLevel: nlc.LlamaLogLevel.warn,
  });
  const model = await llama.loadModel({ modelPath: settings.modelFile, gpuLayers: 0 });
  const context = await model.createContext({
    sequences: settings.sequences,
    threads: settings.threads,
    contextSize: settings.contextSize,
    batchSize: settings.batchSize,
  });
  // The same BOS rule as the server's engine, so the prompt is the same token sequence.
  const t = model.tokens;
  const bos =
    model.vocabularyType === nlc.LlamaVocabularyType.wpm ||
    (model.vocabularyType !== nlc.LlamaVocabularyType.rwkv &&
      model.vocabularyType !== nlc.LlamaVocabularyType.ugm &&
      t.shouldPrependBosToken)
      ? (t.bos ?? undefined)
      : undefined;

  async function generate(prompt, maxTokens) {
    const t0 = performance.now();
    // Tokenizing is part of the request, as in the server (it happens after the request arrives).
    const tokens = model.tokenize(prompt, false, bos === undefined ? undefined : 'trimLeadingSpace');
    const sequence = context.getSequence();
    const completion = new nlc.LlamaCompletion({ contextSequence: sequence });
    let outputTokens = 0;
    let ttftMs;
    let last = 0;
    const gapsMs = [];
    try {
      const result = await completion.generateCompletionWithMeta(tokens, {
        signal: new AbortController().signal, // the server passes the request's signal
        stopOnAbortSignal: true,
        maxTokens,
        temperature: 0,
        topK: 0,
        topP: 1,
        minP: 0,
        repeatPenalty: false,
        customStopTriggers: [],
        onToken: (ts) => {
          outputTokens += ts.length;
        },
        onTextChunk: (text) => {
          if (text === '') return;
          const now = performance.now();
          if (ttftMs === undefined) ttftMs = now - t0;
          else gapsMs.push(now - last);
          last = now;
        },
      });
      const reason = result.metadata.stopReason;
      return {
        tokens: outputTokens,
        ttftMs,
        gapsMs,
        finishReason: reason === 'maxTokens' ? 'length' : 'stop',
        text: result.response,
      };
    } finally {
      completion.dispose();
      await sequence.dispose();
    }
  }

  return {
    generate,
    contextSize: context.contextSize,
    dispose: async () => {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
