/**
 * System shared memory over gRPC (both transports), on a real server with `--allow-client-shm`:
 * the six RPCs, ModelInfer and ModelStreamInfer with inputs read from regions and outputs written
 * into them (INT32 and BYTES), Triton's messages for unknown regions, bad ranges and bad parameter
 * types, and the `shared-memory` API group restricted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeElements } from '@tensorgate/protocol';
import { grpc, grpcClient, streamAll, unary, unaryError, type Msg } from '../helpers/grpc-client.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { int32Bytes, int32Values, makeShmObject, type ShmObject } from '../helpers/shm-regions.js';
import { range, raw, values } from '../helpers/tensors.js';

const KEY = 'triton-grpc-protocol-x-shm-key';

for (const transport of ['native', 'grpc-js']) {
  describe(`gRPC system shared memory (${transport})`, () => {
    let s: TestServer;
    let client: ReturnType<typeof grpcClient>;
    let open: ReturnType<typeof grpcClient>;
    const objects: ShmObject[] = [];
    const object = (size: number): ShmObject => {
      const o = makeShmObject(size);
      objects.push(o);
      return o;
    };
    before(async () => {
      s = await startServer([
        '--allow-client-shm',
        '--grpc-transport',
        transport,
        '--grpc-restricted-protocol',
        'shared-memory:x-shm-key=s3cret',
      ]);
      client = grpcClient(s.grpcPort, undefined, { metadata: { [KEY]: 's3cret' } });
      open = grpcClient(s.grpcPort);
    });
    after(async () => {
      client.close();
      open.close();
      await s.close();
      for (const o of objects) o.remove();
    });

    const register = (name: string, key: string, byteSize: number, offset = 0): Promise<Msg> =>
      unary(client, 'SystemSharedMemoryRegister', { name, key, offset, byte_size: byteSize });
    const shmParams = (region: string, size: number, offset = 0): Msg => ({
      shared_memory_region: { string_param: region },
      shared_memory_byte_size: { int64_param: size },
      ...(offset > 0 ? { shared_memory_offset: { int64_param: offset } } : {}),
    });
    const simple = (inRegion: string, outRegion: string): Msg => ({
      model_name: 'simple',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], parameters: shmParams(inRegion, 64) },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], parameters: shmParams(inRegion, 64, 64) },
      ],
      outputs: [
        { name: 'OUTPUT0', parameters: shmParams(outRegion, 64) },
        { name: 'OUTPUT1', parameters: shmParams(outRegion, 64, 64) },
      ],
    });

    test('ModelInfer: inputs from a region, outputs into a region; status; unregister', async () => {
      await unary(client, 'SystemSharedMemoryUnregister', {});
      const input = object(128);
      const output = object(128);
      input.write(Buffer.concat([int32Bytes(range(16)), int32Bytes(range(16, 1))]));
      await register('in', input.key, 128);
      await register('out', output.key, 128);
      const r = await unary(open, 'ModelInfer', simple('in', 'out'));
      assert.deepEqual(
        r['outputs'].map((o: Msg) => [o['name'], o['datatype'], o['shape']]),
        [
          ['OUTPUT0', 'INT32', [1, 16]],
          ['OUTPUT1', 'INT32', [1, 16]],
        ],
      );
      // As Triton: one raw_output_contents entry per output, empty for outputs in shared memory.
      assert.deepEqual(
        r['raw_output_contents'].map((b: Buffer) => b.length),
        [0, 0],
      );
      assert.deepEqual(
        int32Values(output.read(0, 64)),
        range(16).map((i) => 2 * i + 1),
      );
      assert.deepEqual(
        int32Values(output.read(64, 64)),
        range(16).map(() => -1),
      );
      const st = await unary(client, 'SystemSharedMemoryStatus', {});
      assert.deepEqual(st['regions'], {
        in: { name: 'in', key: input.key, offset: 0, byte_size: 128 },
        out: { name: 'out', key: output.key, offset: 0, byte_size: 128 },
      });
      await unary(client, 'SystemSharedMemoryUnregister', { name: 'in' });
      const e = await unaryError(client, 'SystemSharedMemoryStatus', { name: 'in' });
      assert.deepEqual(
        [e.code, e.details],
        [grpc.status.NOT_FOUND, "Unable to find system shared memory region: 'in'"],
      );
      await unary(client, 'SystemSharedMemoryUnregister', {});
      assert.deepEqual((await unary(client, 'SystemSharedMemoryStatus', {}))['regions'], {});
    });

    test('ModelInfer: one input raw, one in a region (raw_input_contents holds only the raw one)', async () => {
      const input = object(64);
      input.write(int32Bytes(range(16, 5)));
      await register('mixed', input.key, 64);
      const r = await unary(open, 'ModelInfer', {
        model_name: 'simple',
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], parameters: shmParams('mixed', 64) },
        ],
        raw_input_contents: [raw('INT32', range(16))],
      });
      const names = r['outputs'].map((o: Msg) => o['name']);
      assert.deepEqual(
        values('INT32', r['raw_output_contents'][names.indexOf('OUTPUT1')]),
        range(16).map(() => -5),
      );
      await unary(client, 'SystemSharedMemoryUnregister', { name: 'mixed' });
    });

    test('ModelStreamInfer: BYTES (simple_string) through regions', async () => {
      const in0 = range(16).map(String);
      const in1 = range(16).map(() => '1');
      const b0 = encodeElements('BYTES', in0);
      const b1 = encodeElements('BYTES', in1);
      const input = object(b0.length + b1.length);
      input.write(Buffer.concat([b0, b1]));
      const output = object(256);
      await register('s_in', input.key, b0.length + b1.length);
      await register('s_out', output.key, 256);
      const sum = encodeElements(
        'BYTES',
        range(16).map((i) => String(i + 1)),
      );
      const diff = encodeElements(
        'BYTES',
        range(16).map((i) => String(i - 1)),
      );
      const got = await streamAll(open, [
        {
          model_name: 'simple_string',
          id: 'str',
          inputs: [
            { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], parameters: shmParams('s_in', b0.length) },
            { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], parameters: shmParams('s_in', b1.length, b0.length) },
          ],
          outputs: [
            { name: 'OUTPUT0', parameters: shmParams('s_out', sum.length) },
            { name: 'OUTPUT1', parameters: shmParams('s_out', 128, 128) },
          ],
        },
      ]);
      assert.equal(got.length, 1);
      assert.equal(got[0]!['error_message'], '');
      assert.deepEqual(
        got[0]!['infer_response'].raw_output_contents.map((b: Buffer) => b.length),
        [0, 0],
      );
      assert.deepEqual(output.read(0, sum.length), Buffer.from(sum));
      assert.deepEqual(output.read(128, diff.length), Buffer.from(diff));
      // A request of the stream that fails (output region too small) is reported, the stream goes on.
      const small = await streamAll(open, [
        {
          model_name: 'simple_string',
          inputs: [
            { name: 'INPUT0', datatype: 'BYTES', shape: [1, 16], parameters: shmParams('s_in', b0.length) },
            { name: 'INPUT1', datatype: 'BYTES', shape: [1, 16], parameters: shmParams('s_in', b1.length, b0.length) },
          ],
          outputs: [{ name: 'OUTPUT0', parameters: shmParams('s_out', 8) }],
        },
      ]);
      assert.equal(
        small[0]!['error_message'],
        "shared memory size specified with the request for output 'OUTPUT0' (8 bytes) should be at least " +
          `${sum.length} bytes to hold the results`,
      );
      await unary(client, 'SystemSharedMemoryUnregister', {});
    });

    test('errors: unknown region, bad range, bad parameter types, key, twice, CUDA', async () => {
      const o = object(128);
      await register('e', o.key, 128);
      const cases: Array<[Msg, grpc.status, string]> = [
        [simple('nope', 'e'), grpc.status.NOT_FOUND, "Unable to find shared memory region: 'nope'"],
        [simple('e', 'nope'), grpc.status.NOT_FOUND, "Unable to find shared memory region: 'nope'"],
      ];
      const past = simple('e', 'e');
      past['inputs'][1].parameters.shared_memory_offset = { int64_param: 100 };
      cases.push([past, grpc.status.INVALID_ARGUMENT, "Invalid offset + byte size for shared memory region: 'e'"]);
      const typed = simple('e', 'e');
      typed['inputs'][0].parameters.shared_memory_region = { int64_param: 1 };
      cases.push([
        typed,
        grpc.status.INVALID_ARGUMENT,
        "invalid value type for 'shared_memory_region' parameter for tensor 'INPUT0', expected string_param.",
      ]);
      const orphan = simple('e', 'e');
      orphan['inputs'][0].parameters = { shared_memory_offset: { int64_param: 0 } };
      cases.push([
        { ...orphan, raw_input_contents: [raw('INT32', range(16))] },
        grpc.status.INVALID_ARGUMENT,
        "'shared_memory_offset' can not be specified without 'shared_memory_region' parameter for tensor 'INPUT0'",
      ]);
      for (const [req, code, details] of cases) {
        const e = await unaryError(open, 'ModelInfer', req);
        assert.deepEqual([e.code, e.details], [code, details]);
      }
      const twice = await unaryError(client, 'SystemSharedMemoryRegister', { name: 'e', key: o.key, byte_size: 8 });
      assert.deepEqual(
        [twice.code, twice.details],
        [grpc.status.ALREADY_EXISTS, "shared memory region 'e' already in manager"],
      );
      const key = await unaryError(client, 'SystemSharedMemoryRegister', {
        name: 'k',
        key: '/../../etc/passwd',
        byte_size: 8,
      });
      assert.equal(key.code, grpc.status.INVALID_ARGUMENT);
      assert.deepEqual((await unary(client, 'CudaSharedMemoryStatus', {}))['regions'], {});
      await unary(client, 'CudaSharedMemoryUnregister', {});
      const cuda = await unaryError(client, 'CudaSharedMemoryRegister', {
        name: 'c',
        raw_handle: Buffer.alloc(64),
        byte_size: 8,
      });
      assert.equal(cuda.code, grpc.status.UNIMPLEMENTED);
      assert.match(cuda.details, /^CUDA shared memory is not supported by tensorgate/);
      const restricted = await unaryError(open, 'SystemSharedMemoryStatus', {});
      assert.deepEqual(
        [restricted.code, restricted.details],
        [grpc.status.UNAVAILABLE, `This protocol is restricted, expecting header '${KEY}'`],
      );
      await unary(client, 'SystemSharedMemoryUnregister', {});
    });
  });
}
