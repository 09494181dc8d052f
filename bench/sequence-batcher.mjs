#!/usr/bin/env node
// The sequence batcher (issue #15): throughput of 32 concurrent sequences through `direct` and
// through `oldest`, against the same model driven without sequences (its own dynamic batcher), in
// one run, one server. A cheap JS model (OUTPUT = INPUT + INPUT_STATE, or INPUT alone when it gets
// no state) so the batcher's own cost shows, not the model's. Four copies of it in the server:
//   dynamic       dynamic_batching { }, no sequences: the model's own batching (the baseline)
//   direct        sequence_batching { direct { } }: each sequence owns one of 32 slots
//   oldest        sequence_batching { oldest { max_candidate_sequences: 32 } }
//   oldest+state  as oldest, plus implicit state (state [ INPUT_STATE -> OUTPUT_STATE ])
// max_batch_size 32, one instance each. The same requests: 32 closed loops (one per sequence), each
// sending the next request as soon as the previous one answered; every request carries
// sequence_id / sequence_start / sequence_end (the dynamic model ignores them, as Triton does).
// A sequence runs for the whole measurement (START on its first request, END on its last).
// Rounds interleave the variants (order flipped every other round); medians of the rounds. Mean
// batch size from ModelStatistics (inferences / executions). Responses are checked: OUTPUT = 1
// without state, and with state the running count of the sequence's requests on its END.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRoot } from '@tensorgate/protocol';
import { main, parseCli, printCommand } from './lib/cli.mjs';
import { assertModelsReady, modelStats } from './lib/grpc-control.mjs';
import { startTensorgate } from './lib/server-process.mjs';
import { median, markdownTable, num, summarize } from './lib/stats.mjs';

const PATH = '/inference.GRPCInferenceService/ModelInfer';
const VARIANTS = ['dynamic', 'direct', 'oldest', 'oldest+state'];
const MODEL_NAME = { dynamic: 'acc_dynamic', direct: 'acc_direct', oldest: 'acc_oldest', 'oldest+state': 'acc_state' };

const MODEL_JS = `export default class Accumulator {
  execute(requests) {
    return requests.map((r) => {
      const x = r.input('INPUT').data[0];
      const s = r.findInput('INPUT_STATE');
      if (!s) return { outputs: [{ name: 'OUTPUT', data: [x] }] };
      const sum = x + s.data[0];
      return { outputs: [{ name: 'OUTPUT', data: [sum] }, { name: 'OUTPUT_STATE', data: [sum] }] };
    });
  }
}
`;

function config(name, scheduling, slots) {
  return `name: "${name}"
backend: "js"
max_batch_size: ${slots}
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
${scheduling}
`;
}

function repository(slots) {
  const path = mkdtempSync(join(tmpdir(), 'tg-bench-seq-'));
  const state = 'state [ { input_name: "INPUT_STATE" output_name: "OUTPUT_STATE" data_type: TYPE_INT32 dims: [ 1 ] } ]';
  const blocks = {
    dynamic: 'dynamic_batching { }',
    direct: 'sequence_batching { max_sequence_idle_microseconds: 60000000 direct { } }',
    oldest: `sequence_batching { max_sequence_idle_microseconds: 60000000 oldest { max_candidate_sequences: ${slots} } }`,
    'oldest+state': `sequence_batching { max_sequence_idle_microseconds: 60000000 oldest { max_candidate_sequences: ${slots} } ${state} }`,
  };
  for (const v of VARIANTS) {
    const dir = join(path, MODEL_NAME[v]);
    mkdirSync(join(dir, '1'), { recursive: true });
    writeFileSync(join(dir, 'config.pbtxt'), config(MODEL_NAME[v], blocks[v], slots));
    writeFileSync(join(dir, '1', 'model.js'), MODEL_JS);
  }
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

function client(port) {
  const root = loadProtoRoot();
  const Req = root.lookupType('inference.ModelInferRequest');
  const Res = root.lookupType('inference.ModelInferResponse');
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  /** One request of sequence `id`, encoded once. */
  const encode = (model, id, start, end) =>
    Buffer.from(
      Req.encode(
        Req.fromObject({
          model_name: model,
          parameters: {
            sequence_id: { uint64_param: id },
            sequence_start: { bool_param: start },
            sequence_end: { bool_param: end },
          },
          inputs: [{ name: 'INPUT', datatype: 'INT32', shape: [1, 1] }],
          raw_input_contents: [one],
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
  const output = (bytes) => Res.decode(bytes).raw_output_contents[0].readInt32LE(0);
  return { encode, send, output, close: () => c.close() };
}

/**
 * Runs `sequences` closed loops of `perSequence` requests each on `model`; ids from `firstId`.
 * @returns {{ rps: number, p50: number, p99: number }}
 */
async function drive(c, model, sequences, perSequence, firstId, stateful) {
  const lat = new Float64Array(sequences * perSequence);
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sequences }, async (_, s) => {
      const id = firstId + s;
      const first = c.encode(model, id, true, false);
      const middle = c.encode(model, id, false, false);
      const last = c.encode(model, id, false, true);
      for (let k = 0; k < perSequence; k++) {
        const bytes = k === 0 ? first : k === perSequence - 1 ? last : middle;
        const t = performance.now();
        const res = await c.send(bytes);
        lat[n++] = performance.now() - t;
        if (k === 0 || k === perSequence - 1) {
          const want = stateful ? k + 1 : 1;
          const got = c.output(res);
          if (got !== want) throw new Error(`${model} sequence ${id} request ${k}: OUTPUT ${got}, expected ${want}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const s = summarize(lat, n);
  return { rps: n / seconds, p50: s.p50, p99: s.p99 };
}

main(async () => {
  const opts = parseCli(
    import.meta.url,
    '32 concurrent sequences through direct and oldest (and oldest with implicit state) vs the same model with its own dynamic batching, one run.',
    {
      sequences: { default: 32, help: 'concurrent sequences (closed loops); also max_batch_size and the slots' },
      requests: { default: 150, help: 'requests per sequence per variant and round' },
      rounds: { default: 3, help: 'interleaved rounds (medians reported)' },
    },
  );
  printCommand();
  const repo = repository(opts.sequences);
  const server = await startTensorgate(repo.path);
  const c = client(server.port);
  try {
    await assertModelsReady(server.port, Object.values(MODEL_NAME));
    const results = Object.fromEntries(VARIANTS.map((v) => [v, { rps: [], p50: [], p99: [], batch: [] }]));
    let nextId = 1;
    // Warm-up: one short pass over every variant.
    for (const v of VARIANTS) {
      await drive(c, MODEL_NAME[v], opts.sequences, 10, nextId, v === 'oldest+state');
      nextId += opts.sequences;
    }
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) {
        const model = MODEL_NAME[v];
        const before = await modelStats(server.port, model);
        const m = await drive(c, model, opts.sequences, opts.requests, nextId, v === 'oldest+state');
        nextId += opts.sequences;
        const after = await modelStats(server.port, model);
        if (after.failed !== before.failed) throw new Error(`${v}: ${after.failed - before.failed} failed requests`);
        results[v].rps.push(m.rps);
        results[v].p50.push(m.p50);
        results[v].p99.push(m.p99);
        results[v].batch.push(
          (after.inferenceCount - before.inferenceCount) / (after.executionCount - before.executionCount),
        );
      }
    }
    const base = median(results.dynamic.rps);
    const rows = VARIANTS.map((v) => [
      v,
      num(median(results[v].rps), 0),
      num(median(results[v].rps) / base, 2),
      num(median(results[v].p50), 2),
      num(median(results[v].p99), 2),
      num(median(results[v].batch), 1),
    ]);
    console.log(
      markdownTable(
        ['variant', `req/s (${opts.sequences} sequences)`, 'vs dynamic', 'p50 ms', 'p99 ms', 'mean batch'],
        rows,
      ),
    );
    console.log('\nrounds (req/s):');
    for (const v of VARIANTS) console.log(`  ${v}: ${results[v].rps.map((x) => num(x, 0)).join(', ')}`);
  } finally {
    c.close();
    await server.stop();
    repo.remove();
  }
});
