/**
 * Properties of the strict config check (issue #13): any config built from what tensorgate
 * implements, with any of the refused blocks spelled out at their defaults (as config endpoints
 * print them), loads; the same config with one refused field set to any non-default value fails
 * with UNSUPPORTED naming that field, with its index when it sits in a list.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InferenceError } from '../errors.js';
import { propertyOptions } from '../property-runs.test-helper.js';
import { checkConfigSupport, type BackendConfigSupport } from './config-support.js';
import { normalizeConfig } from './normalize-config.js';

type Obj = Record<string, unknown>;

const JS: BackendConfigSupport = { fields: ['input.allow_ragged_batch'], parameters: 'any' };
const DATA_TYPES = ['TYPE_FP32', 'TYPE_INT32', 'TYPE_STRING', 'TYPE_BOOL', 'TYPE_UINT8', 'TYPE_FP16', 'TYPE_INT64'];

const dims = fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 3 });
const word = fc.stringMatching(/^[a-z][a-z0-9_.]{0,11}$/);

const input = (i: number): fc.Arbitrary<Obj> =>
  fc.record(
    {
      name: fc.constant(`in${i}`),
      data_type: fc.constantFrom(...DATA_TYPES),
      dims,
      optional: fc.boolean(),
      allow_ragged_batch: fc.boolean(),
      format: fc.constant('FORMAT_NONE'),
    },
    { requiredKeys: ['name', 'data_type', 'dims'] },
  );

const output = (i: number): fc.Arbitrary<Obj> =>
  fc.record({ name: fc.constant(`out${i}`), data_type: fc.constantFrom(...DATA_TYPES), dims });

const versionPolicy = fc.oneof(
  fc.record({ latest: fc.record({ num_versions: fc.integer({ min: 1, max: 3 }) }) }),
  fc.constant({ all: {} }),
  fc.record({ specific: fc.record({ versions: fc.uniqueArray(fc.integer({ min: 1, max: 9 }), { minLength: 1 }) }) }),
);

const queuePolicy = fc.record(
  {
    timeout_action: fc.constant('REJECT'),
    default_timeout_microseconds: fc.integer({ min: 0, max: 1_000_000 }),
    allow_timeout_override: fc.boolean(),
    max_queue_size: fc.integer({ min: 0, max: 64 }),
  },
  { requiredKeys: [] },
);

const dynamicBatching = (maxBatch: number): fc.Arbitrary<Obj> =>
  fc.record(
    {
      preferred_batch_size:
        maxBatch > 0 ? fc.uniqueArray(fc.integer({ min: 1, max: maxBatch }), { maxLength: 3 }) : fc.constant([]),
      max_queue_delay_microseconds: fc.integer({ min: 0, max: 5000 }),
      preserve_ordering: fc.boolean(),
      default_queue_policy: queuePolicy,
    },
    { requiredKeys: [] },
  );

const instanceGroups = fc.array(
  fc.record(
    { name: word, kind: fc.constantFrom('KIND_CPU', 'KIND_AUTO'), count: fc.integer({ min: 1, max: 3 }) },
    { requiredKeys: ['count'] },
  ),
  { minLength: 1, maxLength: 3 },
);

/** Refused or no-effect blocks written out at their defaults, as a config endpoint prints them. */
const DEFAULT_BLOCKS: readonly Obj[] = [
  { runtime: '' },
  { batch_input: [], batch_output: [] },
  {
    optimization: {
      priority: 'PRIORITY_DEFAULT',
      input_pinned_memory: { enable: true },
      output_pinned_memory: { enable: false },
      gather_kernel_buffer_threshold: 0,
      eager_batching: false,
      cuda: {},
      execution_accelerators: { gpu_execution_accelerator: [] },
      graph: { level: 0 },
    },
  },
  { cc_model_filenames: {}, metric_tags: {} },
  { model_operations: {} },
  { model_repository_agents: { agents: [] } },
  { response_cache: { enable: false } },
  { model_metrics: {} },
];
const GROUP_DEFAULTS: Obj = {
  rate_limiter: { resources: [], priority: 0 },
  secondary_devices: [],
  profile: [],
  passive: false,
  host_policy: '',
};

const implementedConfig: fc.Arbitrary<Obj> = fc
  .record({
    maxBatch: fc.integer({ min: 0, max: 8 }),
    inputs: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => input(i)))),
    outputs: fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => output(i)))),
    versionPolicy: fc.option(versionPolicy, { nil: undefined }),
    batching: fc.boolean(),
    groups: instanceGroups,
    groupDefaults: fc.boolean(),
    parameters: fc.dictionary(word, fc.record({ string_value: fc.string({ maxLength: 8 }) }), { maxKeys: 3 }),
    decoupled: fc.boolean(),
    defaults: fc.subarray([...DEFAULT_BLOCKS]),
  })
  .chain((c) =>
    (c.batching ? dynamicBatching(c.maxBatch) : fc.constant(undefined)).map((db) => {
      const cfg: Obj = {
        name: 'm',
        backend: 'js',
        max_batch_size: c.maxBatch,
        input: c.inputs,
        output: c.outputs,
        instance_group: c.groups.map((g) => (c.groupDefaults ? { ...g, ...GROUP_DEFAULTS } : g)),
        parameters: c.parameters,
        model_transaction_policy: { decoupled: c.decoupled },
      };
      if (c.versionPolicy) cfg['version_policy'] = c.versionPolicy;
      if (db) cfg['dynamic_batching'] = db;
      for (const block of c.defaults) Object.assign(cfg, structuredClone(block));
      return cfg;
    }),
  );

/** A refused field set to a non-default value: the path the error must name, and the change. */
interface Refusal {
  readonly path: (cfg: Obj) => string;
  readonly apply: (cfg: Obj) => void;
}

const groupIndex = (cfg: Obj, pick: number): number => pick % (cfg['instance_group'] as Obj[]).length;
const group = (cfg: Obj, pick: number): Obj => (cfg['instance_group'] as Obj[])[groupIndex(cfg, pick)]!;
const top = (path: string, value: fc.Arbitrary<unknown>, inside?: (v: unknown) => Obj): fc.Arbitrary<Refusal> =>
  value.map((v) => ({
    path: () => path,
    apply: (cfg: Obj) => {
      const [head, leaf] = path.split('.') as [string, string | undefined];
      if (leaf === undefined) cfg[head] = inside ? inside(v) : v;
      else cfg[head] = { ...((cfg[head] as Obj | undefined) ?? {}), [leaf]: v };
    },
  }));
const inGroup = (field: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<Refusal> =>
  fc.tuple(fc.nat(), value).map(([pick, v]) => ({
    path: (cfg: Obj) => `instance_group[${groupIndex(cfg, pick)}].${field}`,
    apply: (cfg: Obj) => {
      group(cfg, pick)[field] = v;
    },
  }));
const nonEmptyMap = fc.dictionary(word, word, { minKeys: 1, maxKeys: 3 });

const refusal: fc.Arbitrary<Refusal> = fc.oneof(
  top('runtime', word),
  top('optimization.priority', fc.constantFrom('PRIORITY_MAX', 'PRIORITY_MIN')),
  top('optimization.cuda', fc.record({ graphs: fc.constant(true), busy_wait_events: fc.boolean() })),
  top(
    'optimization.execution_accelerators',
    fc.record({ cpu_execution_accelerator: fc.array(fc.record({ name: word }), { minLength: 1, maxLength: 2 }) }),
  ),
  top('optimization.gather_kernel_buffer_threshold', fc.integer({ min: 1, max: 1 << 20 })),
  top('optimization.eager_batching', fc.constant(true)),
  top('cc_model_filenames', nonEmptyMap),
  top('metric_tags', nonEmptyMap),
  top('model_operations', fc.array(word, { minLength: 1, maxLength: 2 }), (v) => ({ op_library_filename: v })),
  top('model_repository_agents', fc.array(fc.record({ name: word }), { minLength: 1, maxLength: 2 }), (v) => ({
    agents: v,
  })),
  top('model_metrics', fc.double({ min: 0, max: 1e6, noNaN: true }), (v) => ({
    metric_control: [
      { metric_identifier: { family: 'nv_inference_request_duration' }, histogram_options: { buckets: [v] } },
    ],
  })),
  inGroup('secondary_devices', fc.constant([{ kind: 'KIND_NVDLA', device_id: 0 }])),
  inGroup('passive', fc.constant(true)),
  inGroup('host_policy', word),
  fc.constant({ iterative_sequence: true }).map((sb) => ({
    path: () => `sequence_batching.${Object.keys(sb)[0]!}`,
    apply: (cfg: Obj) => {
      delete cfg['dynamic_batching'];
      cfg['sequence_batching'] = sb;
    },
  })),
  fc.constant<Refusal>({
    path: () => 'batch_input',
    apply: (cfg) => {
      cfg['batch_input'] = [
        { kind: 'BATCH_ELEMENT_COUNT', target_name: ['N'], data_type: 'TYPE_INT32', source_input: ['in0'] },
      ];
    },
  }),
  fc.constant<Refusal>({
    path: () => 'batch_output',
    apply: (cfg) => {
      cfg['batch_output'] = [{ target_name: ['out0'], source_input: ['in0'] }];
    },
  }),
);

const load = (raw: Obj): void => checkConfigSupport(normalizeConfig(raw, { modelName: 'm' }), 'js', JS);

describe('strict configs (properties)', () => {
  test('any config of implemented fields, with refused blocks at their defaults, loads', () => {
    fc.assert(
      fc.property(implementedConfig, (cfg) => {
        load(cfg);
      }),
      propertyOptions(300),
    );
  });

  test('adding any refused field with a non-default value fails naming it', () => {
    fc.assert(
      fc.property(implementedConfig, refusal, (cfg, r) => {
        r.apply(cfg);
        const expected = `model 'm': ${r.path(cfg)} is not supported yet`;
        assert.throws(
          () => load(cfg),
          (e: unknown) => e instanceof InferenceError && e.code === 'UNSUPPORTED' && e.message === expected,
          expected,
        );
      }),
      propertyOptions(300),
    );
  });
});
