import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { INFERENCE_SERVICE_NAME, serviceDefinitionOf } from './service-definition.js';

const definition = serviceDefinitionOf(INFERENCE_SERVICE_NAME);
const deserialize = (method: string, bytes: number[]): Record<string, unknown> =>
  definition[method]!.requestDeserialize(Buffer.from(bytes)) as Record<string, unknown>;

describe('request deserializers', () => {
  test('strings with bad UTF-8 decode to U+FFFD on every path, as the ModelInfer fast path does', () => {
    // Regression: protobufjs' own UTF-8 decoder read `e2 82 41` as "₁" and a lone `80` as "".
    const name = [0xe2, 0x82, 0x41];
    // ModelInfer with only a name takes the fast path; with a parameter, protobufjs.
    const fast = deserialize('ModelInfer', [0x0a, 3, ...name]);
    const general = deserialize('ModelInfer', [0x0a, 3, ...name, 0x22, 0x07, 0x0a, 0x01, 0x70, 0x12, 0x02, 0x08, 0x01]);
    assert.equal(fast['model_name'], '\ufffdA');
    assert.equal(general['model_name'], '\ufffdA');
    assert.deepEqual(Object.keys(general['parameters'] as object), ['p']);
    // Any other RPC: ModelReady's name.
    assert.equal(deserialize('ModelReady', [0x0a, 1, 0x80])['name'], '\ufffd');
    assert.equal(deserialize('ModelReady', [0x0a, 2, 0xc3, 0xa9])['name'], 'é');
  });

  test('a string running past the end of the message is refused, not truncated', () => {
    assert.throws(() => deserialize('ModelReady', [0x0a, 9, 0x61]), /index out of range/);
  });
});
