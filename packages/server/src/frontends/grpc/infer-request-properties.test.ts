/**
 * Property-based tests of the gRPC ModelInferRequest decoders (issue #12): the hand-written fast
 * path (`infer-request-reader.ts`) against protobufjs, on generated requests (parameters of every
 * kind, typed contents, negative and 64-bit dims, prototype names as keys) and on their damaged
 * bytes; then the message → core request codec (`infer-codec.ts`). The fast path never throws and,
 * when it takes a message, reads exactly what protobufjs reads; protobufjs either decodes or
 * throws an Error (the transport answers INTERNAL "Error deserializing request"); a decoded message
 * gives a core request or one InferenceError, never another exception or a runaway.
 *
 * `TENSORGATE_PROPERTY_RUNS_SCALE=100 node scripts/run-tests.mjs properties` runs a longer campaign.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ALL_DATATYPES, loadProtoRoot, type ModelInferRequestMessage } from '@tensorgate/protocol';
import { InferenceError } from '../../core/errors.js';
import { byteDamage, damageBytes } from '../../core/mutation.test-helper.js';
import { propertyOptions, valueOrInferenceError, withinTimeLimit } from '../../core/property-runs.test-helper.js';
import { decodeInferRequest } from './infer-codec.js';
import { decodeCommonInferRequest } from './infer-request-reader.js';
import { decodeMessage } from './service-definition.js';

const Request = loadProtoRoot().lookupType('inference.ModelInferRequest');
/** The general path: protobufjs with the deserializers' reader. */
const protobufDecode = (bytes: Buffer): ModelInferRequestMessage =>
  decodeMessage(Request, bytes) as unknown as ModelInferRequestMessage;

/** What the handlers read of a decoded request, as plain data. */
function view(m: ModelInferRequestMessage): unknown {
  return {
    model_name: m.model_name,
    model_version: m.model_version,
    id: m.id,
    parameters: { ...m.parameters },
    inputs: m.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })),
    outputs: (m.outputs ?? []).map((t) => ({ name: t.name })),
    raw: (m.raw_input_contents ?? []).map((b) => [...b]),
  };
}

const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('', 'simple', 'é✓😀', '__proto__', 'constructor'));
const key = fc.oneof(
  fc.stringMatching(/^[a-z_]{1,8}$/).filter((k) => !k.startsWith('triton_')),
  fc.constantFrom('__proto__', 'constructor', 'toString'),
);
const parameter = fc.oneof(
  fc.boolean().map((v) => ({ bool_param: v })),
  fc.integer().map((v) => ({ int64_param: v })),
  fc.string({ maxLength: 6 }).map((v) => ({ string_param: v })),
  fc.double({ noNaN: true }).map((v) => ({ double_param: v })),
  fc.nat().map((v) => ({ uint64_param: v })),
);
const parameters = fc.dictionary(key, parameter, { maxKeys: 3 });
const dim = fc.oneof(
  fc.nat({ max: 8 }),
  fc.constantFrom(-1, -(2 ** 31), 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER, 2 ** 48, 2 ** 49),
);
const contents = fc.oneof(
  fc.array(fc.boolean(), { maxLength: 4 }).map((v) => ({ bool_contents: v })),
  fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 4 }).map((v) => ({ int_contents: v })),
  fc.array(fc.integer(), { maxLength: 4 }).map((v) => ({ int64_contents: v })),
  fc.array(fc.nat(), { maxLength: 4 }).map((v) => ({ uint_contents: v })),
  fc.array(fc.float({ noNaN: true }), { maxLength: 4 }).map((v) => ({ fp32_contents: v })),
  fc.array(fc.uint8Array({ maxLength: 4 }), { maxLength: 4 }).map((v) => ({ bytes_contents: v })),
);

const input = fc.record(
  {
    name: text,
    datatype: fc.oneof(fc.constantFrom(...ALL_DATATYPES), fc.constantFrom('', 'FP8', 'fp32', 'TYPE_FP32')),
    shape: fc.array(dim, { maxLength: 4 }),
    parameters,
    contents,
  },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);

/** A ModelInferRequest as protobufjs' fromObject takes it. */
const requestObject = fc.record(
  {
    model_name: text,
    model_version: fc.constantFrom('', '1', '7'),
    id: text,
    parameters,
    inputs: fc.array(input, { maxLength: 3 }),
    outputs: fc.array(fc.record({ name: text, parameters }, { requiredKeys: ['name'] }), { maxLength: 2 }),
    raw_input_contents: fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const encode = (o: object): Buffer => Buffer.from(Request.encode(Request.fromObject(o)).finish());

/** Encoded requests, as sent or damaged. */
const requestBytes = fc.oneof(
  requestObject.map(encode),
  fc
    .tuple(requestObject, fc.array(byteDamage, { minLength: 1, maxLength: 3 }))
    .map(([o, damages]) => damages.reduce<Buffer>((b, d) => damageBytes(b, d), encode(o))),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

describe('ModelInferRequest decoding on untrusted bytes', () => {
  test('the fast path never throws, and what it takes it reads exactly as protobufjs does', () => {
    fc.assert(
      fc.property(requestBytes, (bytes) => {
        const fast = withinTimeLimit(() => decodeCommonInferRequest(bytes));
        if (fast === undefined) return;
        assert.deepEqual(view(fast), view(protobufDecode(bytes)));
      }),
      propertyOptions(400),
    );
  });

  test('a decoded message gives a core request or one InferenceError', () => {
    fc.assert(
      fc.property(requestBytes, (bytes) => {
        let msg: ModelInferRequestMessage;
        try {
          msg = decodeCommonInferRequest(bytes) ?? protobufDecode(bytes);
        } catch (e) {
          // protobufjs' refusal: the transport answers INTERNAL "Error deserializing request".
          assert.ok(e instanceof Error, String(e));
          return;
        }
        valueOrInferenceError(() => decodeInferRequest(msg));
      }),
      propertyOptions(400),
    );
  });

  test('every request and input parameter of a request is kept, whatever its name', () => {
    fc.assert(
      fc.property(requestObject, (o) => {
        const msg = protobufDecode(encode(o));
        let request;
        try {
          request = decodeInferRequest(msg);
        } catch (e) {
          if (e instanceof InferenceError) return;
          throw e;
        }
        for (const k of Object.keys(o.parameters ?? {})) {
          assert.ok(Object.hasOwn(request.parameters, k), `request parameter '${k}' kept`);
        }
        request.inputs.forEach((t, i) => {
          for (const k of Object.keys(o.inputs?.[i]?.parameters ?? {})) {
            assert.ok(Object.hasOwn(t.parameters ?? {}, k), `input parameter '${k}' kept`);
          }
        });
      }),
      propertyOptions(200),
    );
  });
});
