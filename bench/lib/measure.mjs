// One gRPC measurement against a running tensorgate: the load generator in its own process, plus the
// server's own statistics for the same window (mean batch size, per-request phase times).
import { controlClient, modelStats, statsDelta } from './grpc-control.mjs';
import { runLoadInChild } from './grpc-load.mjs';

/**
 * Drives `modelName` with `body` at `concurrency` in flight; returns the load result with `server`
 * (statsDelta over the window, warm-up included) and `failed` left for the caller to report.
 */
export async function measureModel(server, modelName, body, opts) {
  const before = await modelStats(server.port, modelName);
  const result = await runLoadInChild({
    port: server.port,
    body,
    concurrency: opts.concurrency,
    connections: opts.connections,
    durationSec: opts.durationSec,
    requests: opts.requests,
    warmupSec: opts.warmupSec,
    warmupRequests: opts.warmupRequests,
    itemsPerRequest: opts.items ?? 1,
    expectOutputs: opts.expectOutputs,
  });
  const after = await modelStats(server.port, modelName);
  return { ...result, server: statsDelta(before, after) };
}

/**
 * Checks through ModelConfig that each model's dynamic batching is what the script meant to
 * measure (auto-complete may add `dynamic_batching {}` to a config that has none).
 */
export async function assertBatching(port, expected) {
  const c = controlClient(port);
  try {
    for (const [name, on] of Object.entries(expected)) {
      const { config } = await c.call('ModelConfig', { name });
      const has = config.dynamic_batching !== null && config.dynamic_batching !== undefined;
      if (has !== on)
        throw new Error(`model ${name}: dynamic batching is ${has ? 'on' : 'off'}, expected ${on ? 'on' : 'off'}`);
    }
  } finally {
    c.close();
  }
}

/** Total failed requests of a list of results, with one line per failing measurement. */
export function failures(results) {
  const lines = [];
  let total = 0;
  for (const r of results) {
    if (r.failed > 0) {
      total += r.failed;
      lines.push(`${r.label ?? ''} ${r.failed} failed ${JSON.stringify(r.errors)}; first: ${r.firstError}`.trim());
    }
  }
  return { total, lines };
}
