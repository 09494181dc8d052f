/**
 * Property-based tests of the HTTP infer decoders (issue #12): the JSON infer codec with JSON
 * `data` and the binary tensor extension (`Inference-Header-Content-Length`, `binary_data_size`),
 * and the raw binary request. Valid requests are generated with every datatype, nested and flat
 * data, binary inputs and parameters, and must decode to exactly their tensors; then they are
 * damaged (any node of the JSON replaced or removed, bytes truncated, flipped or spliced, the
 * header length moved). Any input gives a request or one InferenceError, never another exception
 * or a runaway.
 *
 * `TENSORGATE_PROPERTY_RUNS_SCALE=100 node scripts/run-tests.mjs properties` runs a longer campaign.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_DATATYPES, DATATYPES, encodeElements, type DataType } from '@tensorgate/protocol';
import type { ModelConfig } from '../../core/config/model-config.js';
import { InferenceError } from '../../core/errors.js';
import {
  byteDamage,
  damageBytes,
  DELETE,
  hostileJsonValue,
  jsonPaths,
  mutateJson,
} from '../../core/mutation.test-helper.js';
import { propertyOptions, valueOrInferenceError } from '../../core/property-runs.test-helper.js';
import { parseHeaderLength } from './binary-extension.js';
import { decodeInferRequest, type DecodedInferRequest } from './infer-json-codec.js';
import { encodeJsonData } from './json-tensor-data.js';
import { decodeRawBinaryRequest } from './raw-binary-request.js';

const TARGET = { modelName: 'm', modelVersion: '' };

/** Element values each datatype accepts in JSON. */
function jsonElement(datatype: DataType): fc.Arbitrary<unknown> {
  switch (datatype) {
    case 'BOOL':
      return fc.boolean();
    case 'BYTES':
      return fc.string({ maxLength: 6 });
    case 'INT8':
      return fc.integer({ min: -128, max: 127 });
    case 'UINT8':
      return fc.integer({ min: 0, max: 255 });
    case 'INT16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'UINT16':
      return fc.integer({ min: 0, max: 65535 });
    case 'INT32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'UINT32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'INT64':
    case 'UINT64':
      return fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    // JSON has no -0 (JSON.stringify writes 0), so none is generated.
    case 'FP32':
      return fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0);
    default:
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1000, max: 1000 }).map((v) => v + 0);
  }
}

/** Nests a flat list row-major by `shape` (for JSON `data` written nested). */
function nest(flat: unknown[], shape: number[]): unknown[] {
  if (shape.length <= 1) return flat;
  const rows = shape[0]!;
  const size = flat.length / Math.max(rows, 1);
  return Array.from({ length: rows }, (_, r) => nest(flat.slice(r * size, (r + 1) * size), shape.slice(1)));
}

interface GeneratedInput {
  readonly json: Record<string, unknown>;
  /** The raw bytes the decoder must produce. */
  readonly expected: Uint8Array;
  /** Present for a binary input: the bytes appended after the JSON. */
  readonly binary?: Uint8Array;
}

const inputName = fc.oneof(
  fc.stringMatching(/^[A-Z][A-Z0-9_]{0,6}$/),
  fc.constantFrom('__proto__', 'constructor', 'é'),
);
const parameterKey = fc.oneof(
  fc.stringMatching(/^[a-z_]{1,8}$/).filter((k) => !k.startsWith('triton_')),
  fc.constantFrom('__proto__', 'constructor', 'toString'),
);
const parameterValue = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

function generatedInput(name: string): fc.Arbitrary<GeneratedInput> {
  return fc
    .record({
      datatype: fc.constantFrom(...ALL_DATATYPES.filter((d) => d !== 'FP16' && d !== 'BF16')),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      binary: fc.boolean(),
      nested: fc.boolean(),
      parameters: fc.dictionary(parameterKey, parameterValue, { maxKeys: 2 }),
    })
    .chain((g) => {
      const count = g.shape.reduce((a, b) => a * b, 1);
      return fc.array(jsonElement(g.datatype), { minLength: count, maxLength: count }).map((values): GeneratedInput => {
        const expected = encodeElements(g.datatype, values);
        const json: Record<string, unknown> = { name, datatype: g.datatype, shape: g.shape };
        if (g.binary) {
          json['parameters'] = { ...g.parameters, binary_data_size: expected.byteLength };
          return { json, expected, binary: expected };
        }
        if (Object.keys(g.parameters).length > 0) json['parameters'] = g.parameters;
        json['data'] = g.nested ? nest(values, g.shape) : values;
        return { json, expected };
      });
    });
}

interface GeneratedRequest {
  readonly doc: Record<string, unknown>;
  readonly inputs: GeneratedInput[];
  readonly parameters: Record<string, unknown>;
}

const generatedRequest: fc.Arbitrary<GeneratedRequest> = fc
  .record({
    names: fc.uniqueArray(inputName, { minLength: 1, maxLength: 3 }),
    parameters: fc.dictionary(parameterKey, parameterValue, { maxKeys: 3 }),
    outputs: fc.array(fc.record({ name: inputName, binary: fc.option(fc.boolean(), { nil: undefined }) }), {
      maxLength: 2,
    }),
    id: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
  })
  .chain((r) =>
    fc.tuple(...r.names.map(generatedInput)).map((inputs): GeneratedRequest => {
      const doc: Record<string, unknown> = { inputs: inputs.map((i) => i.json) };
      if (r.id !== undefined) doc['id'] = r.id;
      if (Object.keys(r.parameters).length > 0) doc['parameters'] = r.parameters;
      if (r.outputs.length > 0) {
        doc['outputs'] = r.outputs.map((o) =>
          o.binary === undefined ? { name: o.name } : { name: o.name, parameters: { binary_data: o.binary } },
        );
      }
      return { doc, inputs, parameters: r.parameters };
    }),
  );

/** The wire form: JSON, then the binary inputs' bytes; the header length when there are any. */
function bodyOf(doc: unknown, inputs: readonly GeneratedInput[]): { body: Buffer; headerLength: number | undefined } {
  const json = Buffer.from(JSON.stringify(doc));
  const binaries = inputs.flatMap((i) => (i.binary ? [i.binary] : []));
  if (binaries.length === 0) return { body: json, headerLength: undefined };
  return { body: Buffer.concat([json, ...binaries]), headerLength: json.length };
}

function decode(body: Buffer, headerLength: number | undefined): DecodedInferRequest | InferenceError {
  return valueOrInferenceError(() => decodeInferRequest(body, headerLength, TARGET));
}

describe('HTTP infer codec on untrusted bodies', () => {
  test('valid requests decode to exactly their tensors and parameters', () => {
    fc.assert(
      fc.property(generatedRequest, ({ doc, inputs, parameters }) => {
        const { body, headerLength } = bodyOf(doc, inputs);
        const r = decode(body, headerLength);
        if (r instanceof InferenceError) {
          // Only a client-side rule may refuse a generated request: duplicate output names are fine,
          // reserved 'triton_' keys are not generated; so nothing should.
          assert.fail(`valid request refused: ${r.message}\n${body.toString().slice(0, 500)}`);
        }
        assert.equal(r.request.inputs.length, inputs.length);
        r.request.inputs.forEach((t, i) => {
          assert.equal(t.name, (inputs[i]!.json as { name: string }).name);
          assert.deepEqual([...t.data], [...inputs[i]!.expected]);
        });
        for (const key of Object.keys(parameters)) {
          assert.ok(Object.hasOwn(r.request.parameters, key), `request parameter '${key}' kept`);
        }
      }),
      propertyOptions(200),
    );
  });

  test('any node of the JSON replaced or removed: a request or an InferenceError', () => {
    fc.assert(
      fc.property(
        generatedRequest,
        fc.array(fc.tuple(fc.nat(), fc.oneof(hostileJsonValue, fc.constant(DELETE))), { minLength: 1, maxLength: 3 }),
        ({ doc, inputs }, edits) => {
          let mutated: unknown = doc;
          for (const [pick, value] of edits) mutated = mutateJson(mutated, pick, value);
          const { body, headerLength } = bodyOf(mutated, inputs);
          decode(body, headerLength);
        },
      ),
      propertyOptions(400),
    );
  });

  test('damaged bytes and a wrong header length: a request or an InferenceError', () => {
    fc.assert(
      fc.property(
        generatedRequest,
        fc.array(byteDamage, { maxLength: 3 }),
        fc.oneof(fc.constant('keep' as const), fc.constant(undefined), fc.nat({ max: 5000 })),
        ({ doc, inputs }, damages, header) => {
          const wire = bodyOf(doc, inputs);
          const body = damages.reduce<Buffer>((b, d) => damageBytes(b, d), wire.body);
          const headerLength = header === 'keep' ? wire.headerLength : header;
          // What the route does: the header is parsed against the body first.
          const parsed = valueOrInferenceError(() =>
            parseHeaderLength(headerLength === undefined ? undefined : String(headerLength), body.length),
          );
          if (parsed instanceof InferenceError || parsed === 0) return;
          decode(body, parsed);
        },
      ),
      propertyOptions(400),
    );
  });

  test('Inference-Header-Content-Length: any header text gives a length within the body or an InferenceError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 25 }),
          fc.nat().map(String),
          fc.constantFrom('1e3', '0x10', '-1', ' 7 ', '99999999999999999999'),
        ),
        fc.nat({ max: 1 << 20 }),
        (text, bodyLength) => {
          const r = valueOrInferenceError(() => parseHeaderLength(text, bodyLength));
          if (typeof r === 'number') assert.ok(Number.isSafeInteger(r) && r >= 0 && r <= bodyLength);
        },
      ),
      propertyOptions(300),
    );
  });

  test('JSON data of any shape and values: bytes or an InferenceError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL_DATATYPES),
        fc.array(fc.oneof(fc.nat({ max: 4 }), fc.constantFrom(2 ** 31, 2 ** 53, 2 ** 60)), { maxLength: 4 }),
        fc.array(fc.oneof(hostileJsonValue, fc.array(hostileJsonValue, { maxLength: 3 })), { maxLength: 8 }),
        (datatype, shape, data) => {
          valueOrInferenceError(() => encodeJsonData('X', datatype, shape, data));
        },
      ),
      propertyOptions(300),
    );
  });
});

/** A model config with one input, as the raw binary request needs. */
const oneInputConfig: fc.Arbitrary<ModelConfig> = fc
  .record({
    dataType: fc.constantFrom(...ALL_DATATYPES.map((d) => DATATYPES[d].configType), 'TYPE_INVALID'),
    dims: fc.array(fc.oneof(fc.constant(-1), fc.nat({ max: 5 })), { maxLength: 3 }),
    maxBatch: fc.nat({ max: 4 }),
    inputs: fc.integer({ min: 0, max: 2 }),
  })
  .map(
    (c) =>
      ({
        name: 'm',
        max_batch_size: c.maxBatch,
        input: Array.from({ length: c.inputs === 2 ? 2 : 1 }, (_, i) => ({
          name: `I${i}`,
          data_type: c.dataType,
          dims: c.dims,
        })),
        output: [],
      }) as unknown as ModelConfig,
  );

describe('raw binary requests on untrusted bodies', () => {
  test('any body and one-input config: a request whose input is exactly the body, or an InferenceError', () => {
    fc.assert(
      fc.property(oneInputConfig, fc.uint8Array({ maxLength: 200 }), (config, bytes) => {
        const body = Buffer.from(bytes);
        const r = valueOrInferenceError(() => decodeRawBinaryRequest(body, config, TARGET));
        if (r instanceof InferenceError) return;
        const [input] = r.request.inputs;
        assert.equal(input!.data, body);
        const size = DATATYPES[input!.datatype].byteSize;
        if (size > 0) assert.equal(input!.shape.reduce((a, b) => a * b, 1) * size, body.length);
      }),
      propertyOptions(300),
    );
  });
});

// Keep jsonPaths exercised here too: every node of a generated request is reachable for mutation.
test('mutation helper reaches every node', () => {
  assert.equal(jsonPaths({ a: [1, { b: 2 }] }).length, 5);
});
