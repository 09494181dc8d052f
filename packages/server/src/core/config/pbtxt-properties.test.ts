/**
 * Property-based tests of the config.pbtxt reader (issue #12): lexer, parser, schema resolution
 * and normalization, the path `readModelConfig` → `normalizeConfig` takes for every model. Inputs
 * are valid configs written in the many ways the text format allows, then damaged (truncated,
 * characters flipped, tokens spliced in, ranges cut or repeated, nesting piled up). Any text gives
 * a configuration or one InferenceError (INVALID_ARG naming `file:line:column` for syntax and
 * schema errors), never another exception or a runaway.
 *
 * `TENSORGATE_PROPERTY_RUNS_SCALE=100 node scripts/run-tests.mjs properties` runs a longer campaign.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InferenceError } from '../errors.js';
import { propertyOptions, valueOrInferenceError } from '../property-runs.test-helper.js';
import type { ModelConfig } from './model-config.js';
import { normalizeConfig } from './normalize-config.js';
import { parseModelConfigText } from './pbtxt-to-object.js';

const FILE = 'm/config.pbtxt';
const DATA_TYPES = ['TYPE_FP32', 'TYPE_INT32', 'TYPE_STRING', 'TYPE_BOOL', 'TYPE_UINT8', 'TYPE_FP16', 'TYPE_INT64'];

/** How one config is written: the text format allows all of these for the same message. */
interface Style {
  readonly braces: '{}' | '<>';
  readonly colonBeforeMessage: boolean;
  readonly listsAsRepeats: boolean;
  readonly separator: '' | ',' | ';';
  readonly quote: '"' | "'";
  readonly comments: boolean;
}

const style: fc.Arbitrary<Style> = fc.record({
  braces: fc.constantFrom('{}', '<>'),
  colonBeforeMessage: fc.boolean(),
  listsAsRepeats: fc.boolean(),
  separator: fc.constantFrom('', ',', ';'),
  quote: fc.constantFrom('"', "'"),
  comments: fc.boolean(),
});

/** A small tree of pbtxt fields: [name, scalar text] or [name, nested fields] or [name, list]. */
type Node = { name: string; scalar: string } | { name: string; fields: Node[] } | { name: string; list: string[] };

function render(nodes: Node[], s: Style, indent = ''): string {
  const [open, close] = s.braces === '{}' ? ['{', '}'] : ['<', '>'];
  const lines: string[] = [];
  for (const n of nodes) {
    if ('scalar' in n) lines.push(`${indent}${n.name}: ${n.scalar}${s.separator}`);
    else if ('list' in n) {
      if (s.listsAsRepeats) for (const v of n.list) lines.push(`${indent}${n.name}: ${v}${s.separator}`);
      else lines.push(`${indent}${n.name}: [ ${n.list.join(', ')} ]${s.separator}`);
    } else {
      const colon = s.colonBeforeMessage ? ':' : '';
      lines.push(
        `${indent}${n.name}${colon} ${open}`,
        render(n.fields, s, indent + '  '),
        `${indent}${close}${s.separator}`,
      );
    }
    if (s.comments) lines.push(`${indent}# a comment with { [ " ' \\ inside`);
  }
  return lines.join('\n');
}

const str = (s: Style, v: string): string =>
  `${s.quote}${v.replace(/\\/g, '\\\\').replace(/["']/g, (q) => `\\${q}`)}${s.quote}`;
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const dims = fc
  .array(fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 64 })), { minLength: 1, maxLength: 4 })
  .map((d) => d.map(String));

function tensor(s: Style, isInput: boolean): fc.Arbitrary<Node> {
  return fc
    .record({
      name,
      dataType: fc.constantFrom(...DATA_TYPES),
      dims,
      optional: fc.boolean(),
      reshape: fc.boolean(),
    })
    .map((t) => {
      const fields: Node[] = [
        { name: 'name', scalar: str(s, t.name) },
        { name: 'data_type', scalar: t.dataType },
        { name: 'dims', list: t.dims },
      ];
      if (isInput && t.optional) fields.push({ name: 'optional', scalar: 'true' });
      // A reshape to the same dims reversed: same element count, so a valid one.
      if (t.reshape && !t.dims.includes('-1')) {
        fields.push({ name: 'reshape', fields: [{ name: 'shape', list: [...t.dims].reverse() }] });
      }
      return { name: isInput ? 'input' : 'output', fields };
    });
}

/** A valid-looking config in some style (and its parameter keys): the seed every mutation starts from. */
const generatedConfig: fc.Arbitrary<{ text: string; keys: string[] }> = style.chain((s) =>
  fc
    .record({
      maxBatch: fc.integer({ min: 0, max: 64 }),
      backend: fc.constantFrom('js', 'onnxruntime', 'python'),
      inputs: fc.array(tensor(s, true), { minLength: 1, maxLength: 3 }),
      outputs: fc.array(tensor(s, false), { minLength: 1, maxLength: 2 }),
      instances: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      batching: fc.option(fc.array(fc.integer({ min: 1, max: 64 }).map(String), { maxLength: 3 }), { nil: undefined }),
      parameters: fc.array(fc.tuple(fc.oneof(name, fc.constantFrom('constructor', 'toString')), fc.string()), {
        maxLength: 3,
      }),
      policy: fc.constantFrom('latest', 'all', 'specific', 'none'),
    })
    .map((c) => {
      const nodes: Node[] = [
        { name: 'name', scalar: str(s, 'm') },
        { name: 'backend', scalar: str(s, c.backend) },
        { name: 'max_batch_size', scalar: String(c.maxBatch) },
        ...c.inputs,
        ...c.outputs,
      ];
      if (c.instances !== undefined) {
        nodes.push({
          name: 'instance_group',
          fields: [
            { name: 'kind', scalar: 'KIND_CPU' },
            { name: 'count', scalar: String(c.instances) },
          ],
        });
      }
      if (c.batching !== undefined && c.maxBatch > 0) {
        const sizes = c.batching.filter((b) => Number(b) <= c.maxBatch);
        nodes.push({ name: 'dynamic_batching', fields: [{ name: 'preferred_batch_size', list: sizes }] });
      }
      for (const [k, v] of c.parameters) {
        nodes.push({
          name: 'parameters',
          fields: [
            { name: 'key', scalar: str(s, k) },
            { name: 'value', fields: [{ name: 'string_value', scalar: str(s, v) }] },
          ],
        });
      }
      if (c.policy === 'latest') {
        nodes.push({
          name: 'version_policy',
          fields: [{ name: 'latest', fields: [{ name: 'num_versions', scalar: '2' }] }],
        });
      } else if (c.policy === 'all') nodes.push({ name: 'version_policy', fields: [{ name: 'all', fields: [] }] });
      else if (c.policy === 'specific') {
        nodes.push({
          name: 'version_policy',
          fields: [{ name: 'specific', fields: [{ name: 'versions', list: ['1', '3'] }] }],
        });
      }
      return { text: render(nodes, s), keys: c.parameters.map(([k]) => k) };
    }),
);
const configText = generatedConfig.map((c) => c.text);

/** Text that the lexer and parser treat specially, to splice in anywhere. */
const SNIPPETS = [
  '{',
  '}',
  '<',
  '>',
  '[',
  ']',
  ':',
  ',',
  ';',
  '-',
  '.',
  '/',
  '"',
  "'",
  '\\',
  '#',
  '\n',
  ' ',
  '\t',
  '"\\x"',
  '"\\u12"',
  '"\\U0011ffff"',
  '"\\777"',
  '"\\q"',
  "'unterminated",
  '"a" "b"',
  '0x',
  '0x1F',
  '1e',
  '1e999',
  '-1e999',
  '.5',
  '1.5f',
  '0777',
  '089',
  '99999999999999999999',
  '-9223372036854775809',
  '18446744073709551616',
  'inf',
  '-inf',
  'nan',
  '-nan',
  'Infinity',
  'true',
  'True',
  't',
  'false',
  '-true',
  'TYPE_FP32',
  'TYPE_NOPE',
  'KIND_GPU',
  'name',
  'input',
  'output',
  'dims',
  'key',
  'value',
  'parameters',
  'string_value',
  'max_batch_size',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '[ext.field]',
  'é',
  '\u0000',
  '\ud800',
  'input { name: "x" }',
  'dims: [',
  'dims: []',
  'parameters { key: "k" }',
  'parameters { value: { string_value: "v" } }',
  'version_policy { latest {} all {} }',
  'max_batch_size: -1',
  'max_batch_size: 4294967296',
];

/** One damage to a text. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), text: fc.constantFrom(...SNIPPETS) }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    text: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.nat({ max: 40 }) }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.nat({ max: 40 }),
    times: fc.integer({ min: 2, max: 20 }),
  }),
);

function applyDamage(text: string, d: DamageOf<typeof damage>): string {
  const at = text.length === 0 ? 0 : d.at % (text.length + 1);
  switch (d.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'splice':
      return text.slice(0, at) + d.text + text.slice(at);
    case 'flip':
      return text.slice(0, at) + d.text + text.slice(at + 1);
    case 'cut':
      return text.slice(0, at) + text.slice(at + d.length);
    case 'repeat':
      return text.slice(0, at) + text.slice(at, at + d.length).repeat(d.times) + text.slice(at + d.length);
  }
}
type DamageOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Parsing and then normalizing `text`: a config, or an InferenceError; anything else fails the property. */
function readConfig(text: string): ModelConfig | InferenceError {
  return valueOrInferenceError(() => normalizeConfig(parseModelConfigText(text, FILE), { modelName: 'm' }));
}

describe('config.pbtxt on untrusted text', () => {
  test('valid configs, however written, parse and normalize, keeping every parameter', () => {
    let normalized = 0;
    fc.assert(
      fc.property(generatedConfig, ({ text, keys }) => {
        const r = readConfig(text);
        // Normalization may refuse a generated combination (Triton's rules); parsing itself never.
        if (r instanceof InferenceError) {
          assert.doesNotMatch(r.message, /^m\/config\.pbtxt:/, `${r.message}\n${text}`);
          return;
        }
        for (const key of keys) assert.ok(Object.hasOwn(r.parameters ?? {}, key), `parameter '${key}' kept`);
        normalized++;
      }),
      propertyOptions(150),
    );
    assert.ok(normalized > 0, 'some generated configs normalize');
  });

  test('damaged configs give a config or an InferenceError naming where', () => {
    fc.assert(
      fc.property(configText, fc.array(damage, { minLength: 1, maxLength: 4 }), (text, damages) => {
        // Capped so repeats of repeats stay a few KB.
        const damaged = damages.reduce((t, d) => applyDamage(t, d).slice(0, 20_000), text);
        const r = readConfig(damaged);
        if (r instanceof InferenceError) assert.equal(r.code, 'INVALID_ARG');
      }),
      propertyOptions(400),
    );
  });

  test('arbitrary text gives a config or an InferenceError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        readConfig(text);
      }),
      propertyOptions(200),
    );
  });

  test('nesting piled up deeply gives an InferenceError, not a stack overflow', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ['a {', '}'],
          ['a <', '>'],
          ['a: {', '}'],
          ['input [{', '}]'],
          ['version_policy { latest {', '}}'],
        ),
        fc.integer({ min: 1, max: 20_000 }),
        fc.boolean(),
        ([open, close], depth, closed) => {
          const text = open.repeat(depth) + (closed ? close.repeat(depth) : '');
          assert.ok(readConfig(text) instanceof InferenceError);
        },
      ),
      propertyOptions(20),
    );
  });
});
