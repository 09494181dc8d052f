/**
 * Error messages that echo what a client sent stay bounded (attack probe, issue #13): a 1 MiB model
 * name made the gRPC status trailer 1 MiB, which grpcio clients refuse ("received initial metadata
 * size exceeds limit", hiding the real error) and node http2 / grpc-js clients stalled on until their
 * deadline. Now every message is at most 4096 characters, its middle elided, on both gRPC transports
 * and over HTTP; the real status code and the message's head and tail come through.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { grpcClient, unaryError } from '../helpers/grpc-client.js';
import { range, raw } from '../helpers/tensors.js';

const LIMIT = 4096;
const DEADLINE = { deadline: Date.now() + 60_000 };

/** Size of `text` in the `grpc-message` trailer: printable ASCII but % as is, other bytes as %XX. */
function grpcMessageBytes(text: string): number {
  let n = 0;
  for (const b of Buffer.from(text, 'utf8')) n += b >= 0x20 && b <= 0x7e && b !== 0x25 ? 1 : 3;
  return n;
}

function bounded(message: string, head: RegExp, tail: RegExp): void {
  assert.ok(message.length <= LIMIT, `message of ${message.length} characters`);
  assert.match(message, head);
  assert.match(message, /\.\.\.\[\d+ characters omitted\]\.\.\./);
  assert.match(message, tail);
}

for (const transport of ['native', 'grpc-js']) {
  describe(`gRPC (${transport} transport)`, () => {
    let s: TestServer;
    let repo: { path: string; remove(): Promise<void> };
    let client: ReturnType<typeof grpcClient>;
    before(async () => {
      repo = await tempRepository(['simple']);
      s = await startServer(['--grpc-transport', transport, '--allow-metrics', 'false'], repo.path);
      client = grpcClient(s.grpcPort);
    });
    after(async () => {
      client.close();
      await s.close();
      await repo.remove();
    });

    test('ModelConfig of a 1 MiB model name answers NOT_FOUND with a bounded message', async () => {
      const e = await unaryError(client, 'ModelConfig', { name: 'n'.repeat(1 << 20) }, DEADLINE);
      assert.equal(e.code, 5, e.details); // NOT_FOUND, not RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED
      bounded(e.details, /^Request for unknown model: 'nnnn/, /nnnn' is not found$/);
    });

    test('ModelInfer with a 64 KiB input name answers INVALID_ARGUMENT with a bounded message', async () => {
      const e = await unaryError(
        client,
        'ModelInfer',
        {
          model_name: 'simple',
          inputs: [
            { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
            { name: 'é'.repeat(1 << 16), datatype: 'INT32', shape: [1, 16] },
          ],
          raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
        },
        DEADLINE,
      );
      assert.equal(e.code, 3, e.details);
      // Non-ASCII: the percent-encoded trailer is bounded too (each é is 6 bytes there).
      assert.ok(grpcMessageBytes(e.details) <= LIMIT, `${grpcMessageBytes(e.details)} encoded bytes`);
      bounded(e.details, /^unexpected inference input 'éé/, /éé' for model 'simple'$/);
    });

    test('health Check of a 100 KiB service name answers NOT_FOUND with a bounded message', async () => {
      const health = grpcClient(s.grpcPort, 'grpc.health.v1.Health');
      try {
        const e = await unaryError(health, 'Check', { service: 's'.repeat(100_000) }, DEADLINE);
        assert.equal(e.code, 5, e.details);
        bounded(e.details, /^unknown service 'sss/, /sss'$/);
      } finally {
        health.close();
      }
    });
  });
}

describe('HTTP', () => {
  test('an infer request naming a 100 KB input answers 400 with a bounded message', async () => {
    const repo = await tempRepository(['simple']);
    const s = await startServer(['--allow-grpc', 'false', '--allow-metrics', 'false'], repo.path);
    try {
      const body = {
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: range(16) },
          { name: 'x'.repeat(100_000), datatype: 'INT32', shape: [1, 16], data: range(16) },
        ],
      };
      const r = await fetch(`${s.http}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(body) });
      assert.equal(r.status, 400);
      const { error } = (await r.json()) as { error: string };
      bounded(error, /^unexpected inference input 'xxx/, /xxx' for model 'simple'$/);
    } finally {
      await s.close();
      await repo.remove();
    }
  });
});
