/**
 * vLLM's `ignore_eos` on the llm backend, over HTTP generate and gRPC `llm.LLMService` (field 11):
 * a tiny GGUF whose end-of-sequence token has the largest logit ends every plain completion at
 * once; with ignore_eos it keeps generating until max_tokens.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyLlamaParts, writeGguf } from '@tensorgate/gguf-gen';
import { grpcClient, unary } from '../helpers/grpc-client.js';
import { startServer, type TestServer } from '../helpers/servers.js';

const CONFIG = `
name: "eager"
backend: "llm"
max_batch_size: 0
model_transaction_policy { decoupled: true }
input [
  { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] optional: true },
  { name: "stream" data_type: TYPE_BOOL dims: [ 1 ] optional: true },
  { name: "sampling_parameters" data_type: TYPE_STRING dims: [ 1 ] optional: true },
  { name: "exclude_input_in_output" data_type: TYPE_BOOL dims: [ 1 ] optional: true }
]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ -1 ] } ]
parameters { key: "context_size" value { string_value: "256" } }
parameters { key: "threads" value { string_value: "1" } }
`;

/** The tiny model with `</s>` favoured: column 0 of output.weight is the per-token logit bias. */
function eagerGguf(): Uint8Array {
  const parts = tinyLlamaParts();
  const out = parts.tensors.find((t) => t.name === 'output.weight')!;
  const nEmbd = parts.options.nEmbd;
  (out.data as Float32Array)[parts.vocab.special.eos * nEmbd] = 8;
  return writeGguf({ metadata: parts.metadata, tensors: parts.tensors });
}

let dir: string;
let server: TestServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-ignore-eos-'));
  await mkdir(join(dir, 'eager', '1'), { recursive: true });
  await writeFile(join(dir, 'eager', 'config.pbtxt'), CONFIG);
  await writeFile(join(dir, 'eager', '1', 'model.gguf'), eagerGguf());
  server = await startServer([], dir);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function generate(parameters: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.http}/v2/models/eager/generate`, {
    method: 'POST',
    body: JSON.stringify({ text_input: 'hello', parameters: { temperature: 0, ...parameters } }),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

describe('ignore_eos', () => {
  test('HTTP generate: without it the model stops at its EOS; with it, max_tokens tokens', async () => {
    const plain = await generate({ max_tokens: 12 });
    assert.equal(plain['finish_reason'], 'stop');
    assert.ok(Number(plain['num_output_tokens']) < 12, JSON.stringify(plain));
    const ignored = await generate({ max_tokens: 12, ignore_eos: true });
    assert.equal(ignored['finish_reason'], 'length', JSON.stringify(ignored));
    assert.equal(ignored['num_output_tokens'], 12);
  });

  test('gRPC LLMService Generate honours field 11', async () => {
    const client = grpcClient(server.grpcPort, 'llm.LLMService');
    try {
      const plain = await unary(client, 'Generate', { prompt: 'hello', model: 'eager', max_tokens: 9 });
      assert.equal(plain['finish_reason'], 'stop');
      const ignored = await unary(client, 'Generate', {
        prompt: 'hello',
        model: 'eager',
        max_tokens: 9,
        ignore_eos: true,
      });
      assert.equal(ignored['finish_reason'], 'length');
      assert.equal(ignored['completion_tokens'], 9);
    } finally {
      client.close();
    }
  });
});
