/**
 * @tensorgate/client with system shared memory, over gRPC and HTTP: `InferInput.setSharedMemory`
 * and `InferRequestedOutput({ sharedMemory })` against a real server with --allow-client-shm, one
 * input in a region and one sent as data (gRPC: raw_input_contents holds only that one), outputs
 * written into a region at an offset.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceClient, InferInput, InferRequestedOutput } from '@tensorgate/client';
import { startServer, type TestServer } from '../helpers/servers.js';
import { int32Bytes, int32Values, makeShmObject, type ShmObject } from '../helpers/shm-regions.js';
import { range } from '../helpers/tensors.js';

let s: TestServer;
const objects: ShmObject[] = [];
before(async () => {
  s = await startServer(['--allow-client-shm']);
});
after(async () => {
  await s.close();
  for (const o of objects) o.remove();
});

async function register(name: string, key: string, byteSize: number): Promise<void> {
  const res = await fetch(`${s.http}/v2/systemsharedmemory/region/${name}/register`, {
    method: 'POST',
    body: JSON.stringify({ key, byte_size: byteSize }),
  });
  assert.equal(res.status, 200, await res.text());
}

for (const transport of ['grpc', 'http'] as const) {
  describe(`@tensorgate/client over ${transport} with shared memory`, () => {
    test('one input from a region, one as data; both outputs into a region', async () => {
      const input = makeShmObject(64);
      const output = makeShmObject(160);
      objects.push(input, output);
      input.write(int32Bytes(range(16, 100)));
      await register(`${transport}_in`, input.key, 64);
      await register(`${transport}_out`, output.key, 160);
      const client =
        transport === 'grpc' ? InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`) : InferenceClient.http(s.http);
      try {
        const result = await client.infer(
          'simple',
          [
            new InferInput('INPUT0', [1, 16], 'INT32').setSharedMemory(`${transport}_in`, 64),
            new InferInput('INPUT1', [1, 16], 'INT32').setData(Int32Array.from(range(16))),
          ],
          {
            outputs: [
              new InferRequestedOutput('OUTPUT0', {
                sharedMemory: { region: `${transport}_out`, byteSize: 64, offset: 16 },
              }),
              new InferRequestedOutput('OUTPUT1', {
                sharedMemory: { region: `${transport}_out`, byteSize: 64, offset: 80 },
              }),
            ],
          },
        );
        assert.deepEqual(result.output('OUTPUT0')?.shape, [1, 16]);
        assert.deepEqual(
          int32Values(output.read(16, 64)),
          range(16).map((i) => 2 * i + 100),
        );
        assert.deepEqual(
          int32Values(output.read(80, 64)),
          range(16).map(() => 100),
        );
        // setData after setSharedMemory sends data again.
        const again = new InferInput('INPUT0', [1, 16], 'INT32')
          .setSharedMemory('x', 64)
          .setData(Int32Array.from(range(16)));
        assert.equal(again.inSharedMemory, false);
        assert.deepEqual(again.parameters, {});
      } finally {
        await client.close();
      }
    });
  });
}
