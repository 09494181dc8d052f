import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { propertyOptions } from '../property-runs.test-helper.js';
import { InferenceError } from '../errors.js';
import type { ModelConfig } from '../config/model-config.js';
import { topologicalOrder, validateEnsembleGraph } from './ensemble-graph.js';
import { EnsemblePlan } from './ensemble-plan.js';
import { runEnsemble } from './ensemble-run.js';
import { ensembleSteps } from './ensemble-steps.js';
import { config, ensembleRequest, f32, f32Values, FakeModels, modelConfig } from './ensemble.test-helper.js';

/** The message a config fails with (normalization runs validateEnsembleGraph). */
function failure(text: string): string {
  try {
    config(text);
  } catch (e) {
    assert.ok(e instanceof InferenceError, String(e));
    return e.message;
  }
  throw new Error('config was accepted');
}

const T = 'data_type: TYPE_FP32 dims: [ 1 ]';
const head = (name: string, inputs: string[], outputs: string[]): string =>
  `name: "${name}"\nplatform: "ensemble"\ninput [ ${inputs.map((i) => `{ name: "${i}" ${T} }`).join(', ')} ]\n` +
  `output [ ${outputs.map((o) => `{ name: "${o}" ${T} }`).join(', ')} ]\n`;
const step = (model: string, reads: Array<[string, string]>, writes: Array<[string, string]>): string =>
  `{ model_name: "${model}" model_version: -1 ${reads.map(([k, v]) => `input_map { key: "${k}" value: "${v}" }`).join(' ')} ` +
  `${writes.map(([k, v]) => `output_map { key: "${k}" value: "${v}" }`).join(' ')} }`;
const scheduling = (...steps: string[]): string => `ensemble_scheduling { step [ ${steps.join(', ')} ] }`;

describe('validateEnsembleGraph: Triton messages', () => {
  test('steps must name a model and map inputs and outputs', () => {
    assert.equal(
      failure(`${head('no_step', ['IN'], ['OUT'])}ensemble_scheduling { }`),
      "must specify 'step' for ensemble 'no_step'",
    );
    const ok = step('a', [['X', 'IN']], [['Y', 'OUT']]);
    assert.equal(
      failure(`${head('e', ['IN'], ['OUT'])}${scheduling(ok, '{ input_map { key: "X" value: "IN" } }')}`),
      "must specify 'model_name' in step 1 of ensemble 'e'",
    );
    assert.equal(
      failure(`${head('e', ['IN'], ['OUT'])}${scheduling(ok, step('b', [], [['Y', 'OUT2']]))}`),
      "must specify 'input_map' in step 1 of ensemble 'e'",
    );
    assert.equal(
      failure(`${head('e', ['IN'], ['OUT'])}${scheduling(ok, step('b', [['X', 'IN']], []))}`),
      "must specify 'output_map' in step 1 of ensemble 'e'",
    );
  });

  test('a tensor is written once, inputs are used, outputs written, nothing unused', () => {
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}${scheduling(step('a', [['X', 'IN']], [['Y', 'OUT']]), step('b', [['X', 'IN']], [['Y', 'OUT']]))}`,
      ),
      "ensemble tensor 'OUT' can appear in an output map only once for ensemble 'e' step 1",
    );
    assert.equal(
      failure(`${head('e', ['IN', 'IN2'], ['OUT'])}${scheduling(step('a', [['X', 'IN']], [['Y', 'OUT']]))}`),
      "ensemble input 'IN2' for ensemble 'e' is not used",
    );
    assert.equal(
      failure(`${head('e', ['IN'], ['OUT', 'OUT2'])}${scheduling(step('a', [['X', 'IN']], [['Y', 'OUT']]))}`),
      "ensemble output 'OUT2' for ensemble 'e' is not used",
    );
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}${scheduling(
          step(
            'a',
            [['X', 'IN']],
            [
              ['Y', 'OUT'],
              ['Z', 'extra'],
            ],
          ),
        )}`,
      ),
      "ensemble tensor 'extra' is unused in ensemble 'e'",
    );
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}${scheduling(
          step(
            'a',
            [
              ['X', 'IN'],
              ['W', 'ghost'],
            ],
            [['Y', 'mid']],
          ),
          step('b', [['X', 'mid']], [['Y', 'OUT']]),
        )}`,
      ),
      "output 'OUT' for ensemble 'e' is not written: at least one of its depending tensors, 'ghost', is not connected",
    );
  });

  test('cycles between steps are named', () => {
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}${scheduling(
          step(
            'a',
            [
              ['X', 'IN'],
              ['W', 'back'],
            ],
            [['Y', 'fwd']],
          ),
          step(
            'b',
            [['X', 'fwd']],
            [
              ['Y', 'back'],
              ['Z', 'OUT'],
            ],
          ),
        )}`,
      ),
      "ensemble 'e' has a cycle between its steps: step 0 ('a') -> tensor 'fwd' -> step 1 ('b') -> tensor 'back' -> step 0 ('a')",
    );
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}${scheduling(
          step(
            'a',
            [
              ['X', 'IN'],
              ['W', 'self'],
            ],
            [
              ['Y', 'self'],
              ['Z', 'OUT'],
            ],
          ),
        )}`,
      ),
      "ensemble 'e' has a cycle between its steps: step 0 ('a') -> tensor 'self' -> step 0 ('a')",
    );
  });

  test('what tensorgate refuses by name', () => {
    const ok = scheduling(step('a', [['X', 'IN']], [['Y', 'OUT']]));
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}${scheduling(
          step(
            'a',
            [['X', 'IN']],
            [
              ['Y', 'IN'],
              ['Z', 'OUT'],
            ],
          ),
        )}`,
      ),
      "ensemble tensor 'IN' is an input of ensemble 'e' and cannot also be written by step 0",
    );
    assert.match(
      failure(`${head('e', ['IN'], ['OUT'])}max_batch_size: 4\ndynamic_batching { }\n${ok}`),
      // The parser keeps model_config.proto's oneof: an ensemble has no other scheduler.
      /field 'ensemble_scheduling' conflicts with field 'dynamic_batching'/,
    );
    assert.match(
      failure(
        `${head('e', ['IN'], ['OUT'])}ensemble_scheduling { max_inflight_requests: 4 step [ ${step('a', [['X', 'IN']], [['Y', 'OUT']])} ] }`,
      ),
      /^model 'e': ensemble_scheduling.max_inflight_requests is not supported yet/,
    );
    assert.equal(
      failure(
        `${head('e', ['IN'], ['OUT'])}ensemble_scheduling { step [ { model_name: "a" model_namespace: "ns" input_map { key: "X" value: "IN" } output_map { key: "Y" value: "OUT" } } ] }`,
      ),
      "model 'e': ensemble_scheduling.step[0].model_namespace is not supported yet",
    );
    assert.match(
      failure(
        `${head('e', ['IN'], ['OUT'])}ensemble_scheduling { step [ { model_name: "a" model_version: -2 input_map { key: "X" value: "IN" } output_map { key: "Y" value: "OUT" } } ] }`,
      ),
      /^step 0 of ensemble 'e' has model_version -2/,
    );
  });
});

/** A random valid ensemble: steps read earlier tensors (so it is a DAG), shuffled in the config. */
interface Dag {
  readonly inputs: string[];
  readonly outputs: string[];
  /** In config order; `id` is the step's place in generation order (its model is `m<id>`). */
  readonly steps: Array<{ id: number; reads: string[]; writes: string[] }>;
}

const dagArbitrary: fc.Arbitrary<Dag> = fc
  .record({
    inputs: fc.integer({ min: 1, max: 3 }),
    steps: fc.array(
      fc.record({
        reads: fc.uniqueArray(fc.nat(20), { minLength: 1, maxLength: 3 }),
        writes: fc.integer({ min: 1, max: 2 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    keys: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  })
  .map(({ inputs, steps, keys }) => {
    const available = Array.from({ length: inputs }, (_, i) => `in${i}`);
    const generated = steps.map((s, id) => {
      const reads = [...new Set(s.reads.map((n) => available[n % available.length]!))];
      const writes = Array.from({ length: s.writes }, (_, k) => `t${id}_${k}`);
      available.push(...writes);
      return { id, reads, writes };
    });
    const read = new Set(generated.flatMap((s) => s.reads));
    const written = generated.flatMap((s) => s.writes);
    const order = generated.map((s, i) => ({ s, key: keys[i]! })).sort((a, b) => a.key - b.key);
    return {
      inputs: Array.from({ length: inputs }, (_, i) => `in${i}`).filter((t) => read.has(t)),
      outputs: written.filter((t) => !read.has(t)),
      steps: order.map((o) => o.s),
    };
  });

function dagText(dag: Dag): string {
  const steps = dag.steps.map((s) =>
    step(
      `m${s.id}`,
      s.reads.map((t, k) => [`I${k}`, t]),
      s.writes.map((t, k) => [`O${k}`, t]),
    ),
  );
  return (
    `name: "dag"\nplatform: "ensemble"\nmax_batch_size: 0\n` +
    `input [ ${dag.inputs.map((i) => `{ name: "${i}" ${T} }`).join(', ')} ]\n` +
    `output [ ${dag.outputs.map((o) => `{ name: "${o}" ${T} }`).join(', ')} ]\n${scheduling(...steps)}`
  );
}

function stepModels(dag: Dag): Map<string, ModelConfig> {
  return new Map(
    dag.steps.map((s) => [
      `m${s.id}`,
      modelConfig(
        `m${s.id}`,
        `max_batch_size: 0\ninput [ ${s.reads.map((_, k) => `{ name: "I${k}" ${T} }`).join(', ')} ]\n` +
          `output [ ${s.writes.map((_, k) => `{ name: "O${k}" ${T} }`).join(', ')} ]`,
      ),
    ]),
  );
}

/** What step `id` computes from its inputs: distinct per step and output, so a mix-up shows. */
const stepValue = (id: number, k: number, inputs: readonly number[]): number =>
  (inputs.reduce((a, b) => a + b, 0) % 1000) + 1000 * (id + 1) + k;

describe('ensemble graphs: properties', () => {
  test('random DAGs validate, order topologically and run each step only after its producers answered', async () => {
    await fc.assert(
      fc.asyncProperty(dagArbitrary, fc.scheduler(), async (dag, s) => {
        const cfg = config(dagText(dag));
        const steps = ensembleSteps(cfg);
        const writer = new Map<string, number>();
        for (const st of dag.steps) for (const t of st.writes) writer.set(t, st.id);
        // A topological order: every step after the steps writing its inputs.
        const order = topologicalOrder(steps).map((i) => dag.steps[i]!.id);
        assert.equal(order.length, dag.steps.length);
        for (const st of dag.steps) {
          for (const t of st.reads) {
            const w = writer.get(t);
            if (w !== undefined) assert.ok(order.indexOf(w) < order.indexOf(st.id));
          }
        }
        // Run it with steps answering in an order the scheduler picks.
        const models = stepModels(dag);
        const plan = new EnsemblePlan(cfg, steps, (n) => models.get(n));
        const answered = new Set<number>();
        const fake = new FakeModels();
        for (const st of dag.steps) {
          fake.on(`m${st.id}`, (call) => {
            for (const t of st.reads) {
              const w = writer.get(t);
              if (w !== undefined) assert.ok(answered.has(w), `m${st.id} started before m${w} answered`);
            }
            const ins = st.reads.map((_, k) => f32Values(call.input(`I${k}`))[0]!);
            void s.schedule(Promise.resolve()).then(() => {
              answered.add(st.id);
              call.respond(st.writes.map((_, k) => f32(`O${k}`, [1], [stepValue(st.id, k, ins)])));
            });
          });
        }
        const { request, sent } = ensembleRequest(dag.inputs.map((name, i) => f32(name, [1], [i + 1])));
        await s.waitFor(runEnsemble(plan, request, fake.infer));
        // Each step ran once, and the outputs are what evaluating the graph in order gives.
        assert.equal(fake.calls.length, dag.steps.length);
        const value = new Map(dag.inputs.map((name, i) => [name, i + 1]));
        for (const id of order) {
          const st = dag.steps.find((x) => x.id === id)!;
          const ins = st.reads.map((t) => value.get(t)!);
          st.writes.forEach((t, k) => value.set(t, stepValue(id, k, ins)));
        }
        assert.equal(sent.length, 1);
        assert.equal(sent[0]!.final, true);
        const got = Object.fromEntries(sent[0]!.response!.outputs.map((t) => [t.name, f32Values(t)[0]]));
        assert.deepEqual(got, Object.fromEntries(dag.outputs.map((o) => [o, value.get(o)])));
      }),
      propertyOptions(60),
    );
  });

  test('random mis-wirings give the matching error', () => {
    const mutations = ['unused', 'twice', 'cycle', 'dangling', 'input'] as const;
    fc.assert(
      fc.property(dagArbitrary, fc.constantFrom(...mutations), fc.nat(), (dag, mutation, pick) => {
        const steps = dag.steps.map((s) => ({ ...s, reads: [...s.reads], writes: [...s.writes] }));
        const bad: Dag = { inputs: [...dag.inputs], outputs: [...dag.outputs], steps };
        const target = steps[pick % steps.length]!;
        let expected: RegExp;
        switch (mutation) {
          case 'unused':
            target.writes.push('spare');
            expected = /^ensemble tensor 'spare' is unused in ensemble 'dag'$/;
            break;
          case 'twice': {
            const other = steps.find((s) => s !== target);
            if (!other) return;
            target.writes.push(other.writes[0]!);
            expected = /can appear in an output map only once for ensemble 'dag' step \d+$/;
            break;
          }
          case 'cycle': {
            // Make a step that reads `target`'s output write... into target: back edge.
            const reader = steps.find((s) => s.reads.some((t) => target.writes.includes(t)));
            if (!reader) return;
            reader.writes.push('back');
            target.reads.push('back');
            expected = /^ensemble 'dag' has a cycle between its steps: /;
            break;
          }
          case 'dangling':
            target.reads.push('ghost');
            expected = /is not written: at least one of its depending tensors, 'ghost', is not connected$/;
            break;
          case 'input':
            bad.inputs.push('lonely');
            expected = /^ensemble input 'lonely' for ensemble 'dag' is not used$/;
            break;
        }
        assert.throws(
          () => config(dagText(bad)),
          (e: unknown) => e instanceof InferenceError && e.code === 'INVALID_ARG' && expected.test(e.message),
        );
      }),
      propertyOptions(200),
    );
  });
});

/** validateEnsembleGraph is what normalization calls; a direct call agrees with it. */
test('validateEnsembleGraph accepts what normalization accepted', () => {
  const cfg = config(`${head('e', ['IN'], ['OUT'])}${scheduling(step('a', [['X', 'IN']], [['Y', 'OUT']]))}`);
  validateEnsembleGraph(cfg);
});
