#!/usr/bin/env node
// The response cache (issue #15): `simple` with response_cache { enable: true } against the same
// model without it, in one run, one server per cache: `--cache-config local,size=64 MiB` and
// `--cache-config redis,...` on a redis-server this script starts (127.0.0.1, no persistence).
// Both servers hold two copies of `simple`: `simple_cached` (cache on) and `simple` (cache off).
// Same grpc-js client (requests encoded once with our protos), per server and variant:
//   own      `simple`, no cache: the model's own latency / throughput
//   miss     `simple_cached`, every request a new INPUT0 (a counter): lookup + execute + insert
//   hit      `simple_cached`, one request repeated (stored before measuring): lookup only
// Latency: one request at a time; throughput: `--inflight` requests in flight (closed loop, in this
// process). Rounds interleave the variants (order flipped every other round); medians of the rounds.
// Every response is checked against OUTPUT0 = INPUT0 + INPUT1 for the first request of each phase,
// and the cached model's statistics must show the hits and misses the phase asked for.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';
import { ROOT, main, parseCli, printCommand } from './lib/cli.mjs';
import { assertModelsReady, modelStats } from './lib/grpc-control.mjs';
import { makeRepository, setModelName } from './lib/model-repo.mjs';
import { startRedis } from './lib/redis-process.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { median, markdownTable, num } from './lib/stats.mjs';

const PATH = '/inference.GRPCInferenceService/ModelInfer';
const VARIANTS = ['own', 'miss', 'hit'];

function grpcClient(port) {
  const root = loadProtoRoot();
  const Req = root.lookupType('inference.ModelInferRequest');
  const Res = root.lookupType('inference.ModelInferResponse');
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const int32 = (values) => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => b.writeInt32LE(v, i * 4));
    return b;
  };
  const encode = (model, a) =>
    Buffer.from(
      Req.encode(
        Req.fromObject({
          model_name: model,
          inputs: [
            { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
            { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
          ],
          raw_input_contents: [int32(a), int32(Array.from({ length: 16 }, (_, i) => i))],
        }),
      ).finish(),
    );
  const send = (bytes) =>
    new Promise((resolve, reject) =>
      c.makeUnaryRequest(
        PATH,
        (b) => b,
        (b) => b,
        bytes,
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  return { encode, send, decode: (b) => Res.decode(b), close: () => c.close() };
}

async function stats(grpcPort, model) {
  const s = await modelStats(grpcPort, model);
  return { hits: s.cacheHits, misses: s.cacheMisses, executions: s.executionCount };
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    'simple with the response cache (hit, miss) vs without it, local and Redis, in one run.',
    {
      requests: { default: 2000, help: 'sequential requests per variant and round (latency)' },
      throughput: { default: 3000, help: 'requests per variant and round at --inflight (throughput)' },
      inflight: { default: 8, help: 'requests in flight for the throughput phase' },
      rounds: { default: 3, help: 'interleaved rounds (medians reported)' },
    },
  );
  printCommand();
  const repo = makeRepository(join(ROOT, 'examples/model_repository/simple'), [
    { name: 'simple' },
    { name: 'simple_cached', edit: (t) => `${setModelName(t, 'simple_cached')}\nresponse_cache { enable: true }\n` },
  ]);
  const redis = await startRedis();
  const servers = {};
  const clients = {};
  try {
    const common = ['--model-control-mode', 'explicit', '--load-model', 'simple', '--load-model', 'simple_cached'];
    servers.local = await startTensorgate(repo.path, [...common, '--cache-config', `local,size=${64 * 1024 * 1024}`]);
    servers.redis = await startTensorgate(repo.path, [
      ...common,
      '--cache-config',
      'redis,host=127.0.0.1',
      '--cache-config',
      `redis,port=${redis.port}`,
    ]);
    const results = {};
    let counter = 1_000_000;
    for (const [kind, server] of Object.entries(servers)) {
      await assertModelsReady(server.port, ['simple', 'simple_cached']);
      const c = grpcClient(server.port);
      clients[kind] = c;
      const hitRequest = c.encode(
        'simple_cached',
        Array.from({ length: 16 }, (_, i) => i * 3),
      );
      const first = c.decode(await c.send(hitRequest));
      if (first.raw_output_contents[0].readInt32LE(4) !== 3 + 1) throw new Error(`${kind}: wrong OUTPUT0`);
      // The entry is written while the response goes out: wait until it is there.
      for (let i = 0; (await stats(server.port, 'simple_cached')).misses < 1; i++) {
        if (i > 100) throw new Error(`${kind}: the first response was never stored`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const request = {
        own: () =>
          c.encode(
            'simple',
            Array.from({ length: 16 }, (_, i) => i * 3),
          ),
        miss: () =>
          c.encode(
            'simple_cached',
            Array.from({ length: 16 }, (_, i) => counter++ + i),
          ),
        hit: () => hitRequest,
      };
      results[kind] = Object.fromEntries(VARIANTS.map((v) => [v, { latency: [], rps: [] }]));
      for (let r = 0; r < opts.rounds; r++) {
        const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
        for (const v of order) {
          const before = await stats(server.port, 'simple_cached');
          const lat = new Float64Array(opts.requests);
          for (let i = 0; i < opts.requests; i++) {
            const bytes = request[v]();
            const t = performance.now();
            await c.send(bytes);
            lat[i] = performance.now() - t;
          }
          results[kind][v].latency.push(median([...lat]));
          // Throughput: a closed loop of --inflight callers.
          let sent = 0;
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: opts.inflight }, async () => {
              while (sent < opts.throughput) {
                sent++;
                await c.send(request[v]());
              }
            }),
          );
          results[kind][v].rps.push(opts.throughput / ((performance.now() - t0) / 1000));
          const after = await stats(server.port, 'simple_cached');
          const n = opts.requests + opts.throughput;
          if (v === 'hit' && after.hits - before.hits !== n)
            throw new Error(`${kind} hit: ${after.hits - before.hits} hits of ${n}`);
          if (v === 'miss' && after.hits !== before.hits) throw new Error(`${kind} miss: a request hit`);
        }
      }
    }
    const rows = [];
    for (const kind of Object.keys(servers)) {
      const m = (v) => median(results[kind][v].latency);
      const t = (v) => median(results[kind][v].rps);
      for (const v of VARIANTS) {
        rows.push([
          kind,
          v === 'own' ? 'own (no cache)' : v,
          num(m(v) * 1000, 0),
          num(m(v) / m('own'), 2),
          num(t(v), 0),
          num(t(v) / t('own'), 2),
        ]);
      }
    }
    console.log(
      markdownTable(
        [
          'cache',
          'variant',
          'p50 µs (1 at a time)',
          'latency vs own',
          `req/s (${opts.inflight} in flight)`,
          'throughput vs own',
        ],
        rows,
      ),
    );
    const ratio = (f) => num(f('redis') / f('local'), 2);
    console.log(
      `\nredis vs local: hit latency ${ratio((k) => median(results[k].hit.latency))}x, ` +
        `miss latency ${ratio((k) => median(results[k].miss.latency))}x, ` +
        `hit throughput ${ratio((k) => median(results[k].hit.rps))}x`,
    );
  } finally {
    for (const c of Object.values(clients)) c.close();
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    redis.stop();
    repo.remove();
  }
});
