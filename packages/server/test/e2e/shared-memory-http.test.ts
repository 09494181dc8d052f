/**
 * System shared memory over HTTP, on a real server with `--allow-client-shm`: register / status /
 * unregister, inputs read from regions and outputs written into them (JSON and binary bodies),
 * Triton's messages for unknown regions and bad ranges, key confinement, the limits, CUDA regions,
 * the `shared-memory` API group restricted, and client shared memory off by default.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, rmSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers/servers.js';
import { int32Bytes, int32Values, makeShmObject, type ShmObject } from '../helpers/shm-regions.js';
import { range } from '../helpers/tensors.js';

const ADMIN = { 'x-shm-key': 's3cret' };
let s: TestServer;
const objects: ShmObject[] = [];
const object = (size: number): ShmObject => {
  const o = makeShmObject(size);
  objects.push(o);
  return o;
};

before(async () => {
  s = await startServer([
    '--allow-client-shm',
    '--shared-memory-max-regions',
    '6',
    '--shared-memory-max-bytes',
    '4096',
    '--http-restricted-api',
    'shared-memory:x-shm-key=s3cret',
  ]);
});
after(async () => {
  await s.close();
  for (const o of objects) o.remove();
});

async function shm(path: string, body?: unknown, headers: Record<string, string> = ADMIN): Promise<Response> {
  return fetch(`${s.http}/v2/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    ...(body === undefined ? {} : { body: body === '' ? '' : JSON.stringify(body) }),
  });
}

async function register(name: string, key: string, byteSize: number, offset = 0): Promise<void> {
  const res = await shm(`systemsharedmemory/region/${name}/register`, { key, offset, byte_size: byteSize });
  assert.equal(res.status, 200, await res.text());
}

async function infer(body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${s.http}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const simpleShm = (inRegion: string, outRegion: string): unknown => ({
  inputs: [
    {
      name: 'INPUT0',
      shape: [1, 16],
      datatype: 'INT32',
      parameters: { shared_memory_region: inRegion, shared_memory_byte_size: 64 },
    },
    {
      name: 'INPUT1',
      shape: [1, 16],
      datatype: 'INT32',
      parameters: { shared_memory_region: inRegion, shared_memory_byte_size: 64, shared_memory_offset: 64 },
    },
  ],
  outputs: [
    { name: 'OUTPUT0', parameters: { shared_memory_region: outRegion, shared_memory_byte_size: 64 } },
    {
      name: 'OUTPUT1',
      parameters: { shared_memory_region: outRegion, shared_memory_byte_size: 64, shared_memory_offset: 64 },
    },
  ],
});

describe('HTTP system shared memory', () => {
  test('JSON: inputs from a region, outputs into a region; status and unregister', async () => {
    const input = object(128);
    const output = object(128);
    input.write(Buffer.concat([int32Bytes(range(16)), int32Bytes(range(16, 1))]));
    await register('in', input.key, 128);
    await register('out', output.key, 128);
    const { status, json } = await infer(simpleShm('in', 'out'));
    assert.equal(status, 200, JSON.stringify(json));
    // Outputs in shared memory carry name, datatype and shape only, as in Triton.
    assert.deepEqual(json.outputs, [
      { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16] },
    ]);
    assert.deepEqual(
      int32Values(output.read(0, 64)),
      range(16).map((i) => 2 * i + 1),
    );
    assert.deepEqual(
      int32Values(output.read(64, 64)),
      range(16).map(() => -1),
    );

    const st = await (await shm('systemsharedmemory/status')).json();
    assert.deepEqual(st, [
      { name: 'in', key: input.key, offset: 0, byte_size: 128 },
      { name: 'out', key: output.key, offset: 0, byte_size: 128 },
    ]);
    const one = await (await shm('systemsharedmemory/region/out/status')).json();
    assert.deepEqual(one, [{ name: 'out', key: output.key, offset: 0, byte_size: 128 }]);
    assert.equal((await shm('systemsharedmemory/region/out/unregister', '')).status, 200);
    const gone = await shm('systemsharedmemory/region/out/status');
    assert.equal(gone.status, 404);
    assert.deepEqual(await gone.json(), { error: "Unable to find system shared memory region: 'out'" });
    assert.equal((await shm('systemsharedmemory/unregister', '')).status, 200);
    assert.deepEqual(await (await shm('systemsharedmemory/status')).json(), []);
  });

  test('binary body: one input in shared memory, one binary; one output in a region, one binary', async () => {
    const input = object(64);
    const output = object(100);
    input.write(int32Bytes(range(16, 10)));
    await register('bin_in', input.key, 64);
    await register('bin_out', output.key, 96, 4);
    const header = JSON.stringify({
      inputs: [
        {
          name: 'INPUT0',
          shape: [1, 16],
          datatype: 'INT32',
          parameters: { shared_memory_region: 'bin_in', shared_memory_byte_size: 64 },
        },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', parameters: { binary_data_size: 64 } },
      ],
      outputs: [
        {
          name: 'OUTPUT0',
          parameters: { shared_memory_region: 'bin_out', shared_memory_byte_size: 64, shared_memory_offset: 8 },
        },
        { name: 'OUTPUT1', parameters: { binary_data: true } },
      ],
    });
    const body = Buffer.concat([Buffer.from(header), int32Bytes(range(16))]);
    const res = await fetch(`${s.http}/v2/models/simple/infer`, {
      method: 'POST',
      headers: { 'Inference-Header-Content-Length': String(header.length) },
      body,
    });
    assert.equal(res.status, 200);
    const all = Buffer.from(await res.arrayBuffer());
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const json = JSON.parse(all.subarray(0, jsonLength).toString());
    assert.deepEqual(json.outputs[0], { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16] });
    assert.equal(json.outputs[1].parameters.binary_data_size, 64);
    assert.deepEqual(
      int32Values(all.subarray(jsonLength)),
      range(16).map(() => 10),
    );
    // The region starts 4 bytes into the object; the output 8 bytes into the region.
    assert.deepEqual(
      int32Values(output.read(12, 64)),
      range(16).map((i) => 2 * i + 10),
    );
    assert.deepEqual(int32Values(output.read(0, 12)), [0, 0, 0]);
    await shm('systemsharedmemory/unregister', '');
  });

  test("unknown regions and bad ranges fail with Triton's messages; the server keeps serving", async () => {
    const input = object(128);
    const small = object(128);
    await shm('systemsharedmemory/unregister', '');
    await register('r_in', input.key, 128);
    await register('r_small', small.key, 32);
    const cases: Array<[unknown, number, string]> = [
      [simpleShm('nope', 'r_small'), 404, "Unable to find shared memory region: 'nope'"],
      [simpleShm('r_in', 'nope'), 404, "Unable to find shared memory region: 'nope'"],
      [simpleShm('r_small', 'r_in'), 400, "Invalid offset + byte size for shared memory region: 'r_small'"],
      [simpleShm('r_in', 'r_small'), 400, "Invalid offset + byte size for shared memory region: 'r_small'"],
    ];
    for (const [body, status, error] of cases) {
      const r = await infer(body);
      assert.deepEqual([r.status, r.json], [status, { error }]);
    }
    const past: any = simpleShm('r_in', 'r_in');
    past.inputs[1].parameters.shared_memory_offset = 128;
    assert.deepEqual((await infer(past)).json, { error: "Invalid offset for shared memory region: 'r_in'" });
    // An output range too small for the result: Triton's INTERNAL message.
    const tooSmall: any = simpleShm('r_in', 'r_in');
    tooSmall.outputs[0].parameters.shared_memory_byte_size = 32;
    const r = await infer(tooSmall);
    assert.deepEqual(
      [r.status, r.json],
      [
        500,
        {
          error:
            "shared memory size specified with the request for output 'OUTPUT0' (32 bytes) should be at least 64 bytes to hold the results",
        },
      ],
    );
    const both: any = simpleShm('r_in', 'r_in');
    both.outputs[0].parameters.binary_data = true;
    assert.deepEqual((await infer(both)).json, {
      error: "Output can't set both 'shared_memory_region' and 'binary_data'",
    });
    const cls: any = simpleShm('r_in', 'r_in');
    cls.outputs[0].parameters.classification = 2;
    assert.deepEqual((await infer(cls)).json, {
      error: "Output can't set both 'shared_memory_region' and 'classification'",
    });
    const shape: any = simpleShm('r_in', 'r_in');
    shape.inputs[0].parameters.shared_memory_byte_size = 60;
    assert.equal((await infer(shape)).status, 400);
    const ok = await fetch(`${s.http}/v2/models/simple/infer`, {
      method: 'POST',
      body: JSON.stringify({
        inputs: [
          { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: range(16) },
          { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: range(16) },
        ],
      }),
    });
    assert.equal(ok.status, 200);
    await shm('systemsharedmemory/unregister', '');
  });

  test('register: twice, past the object, keys outside /dev/shm, symlinks, limits', async () => {
    const o = object(256);
    await shm('systemsharedmemory/unregister', '');
    await register('dup', o.key, 64);
    const again = await shm('systemsharedmemory/region/dup/register', { key: o.key, byte_size: 64 });
    assert.deepEqual(
      [again.status, await again.json()],
      [400, { error: "shared memory region 'dup' already in manager" }],
    );
    const past = await shm('systemsharedmemory/region/past/register', { key: o.key, offset: 200, byte_size: 64 });
    assert.deepEqual(await past.json(), { error: "failed to register shared memory region 'past': invalid args" });
    for (const key of ['/../etc/passwd', 'a/b', '/', '..', '/triton_python_backend_shm_region_x']) {
      const res = await shm('systemsharedmemory/region/bad/register', { key, byte_size: 1 });
      assert.equal(res.status, 400, key);
      assert.match(((await res.json()) as { error: string }).error, /^cannot register shared memory region 'bad'/);
    }
    const link = `/dev/shm/tensorgate-test-link-${process.pid}`;
    symlinkSync(o.path, link);
    try {
      const res = await shm('systemsharedmemory/region/link/register', {
        key: link.slice('/dev/shm'.length),
        byte_size: 1,
      });
      assert.deepEqual(
        [res.status, ((await res.json()) as { error: string }).error],
        [500, `Unable to open shared memory region: '${link.slice('/dev/shm'.length)}' (it is a symbolic link)`],
      );
    } finally {
      rmSync(link);
    }
    const missing = await shm('systemsharedmemory/region/missing/register', {
      key: '/tensorgate-no-such-object',
      byte_size: 1,
    });
    assert.equal(missing.status, 500);
    const noKey = await shm('systemsharedmemory/region/k/register', { byte_size: 1 });
    assert.deepEqual(await noKey.json(), { error: "Shared memory register request has no 'key' field" });
    // --shared-memory-max-bytes 4096: 64 registered, 4033 more is past it.
    const big = object(8192);
    const tooBig = await shm('systemsharedmemory/region/big/register', { key: big.key, byte_size: 4033 });
    assert.equal(tooBig.status, 429);
    assert.match(((await tooBig.json()) as { error: string }).error, /--shared-memory-max-bytes/);
    // --shared-memory-max-regions 6.
    for (let i = 1; i < 6; i++) await register(`n${i}`, o.key, 1);
    const seventh = await shm('systemsharedmemory/region/n6/register', { key: o.key, byte_size: 1 });
    assert.equal(seventh.status, 429);
    assert.match(((await seventh.json()) as { error: string }).error, /--shared-memory-max-regions/);
    await shm('systemsharedmemory/unregister', '');
    assert.deepEqual(await (await shm('systemsharedmemory/status')).json(), []);
  });

  test("the server reports Triton's system_shared_memory extension, not cuda_shared_memory", async () => {
    const md = (await (await fetch(`${s.http}/v2`)).json()) as { extensions: string[] };
    assert.ok(md.extensions.includes('system_shared_memory'));
    assert.ok(!md.extensions.includes('cuda_shared_memory'));
  });

  test('CUDA: status lists none, unregister succeeds, register is UNSUPPORTED', async () => {
    assert.deepEqual(await (await shm('cudasharedmemory/status')).json(), []);
    assert.equal((await shm('cudasharedmemory/unregister', '')).status, 200);
    assert.equal((await shm('cudasharedmemory/region/c/unregister', '')).status, 200);
    const res = await shm('cudasharedmemory/region/c/register', {
      raw_handle: { b64: 'AA==' },
      device_id: 0,
      byte_size: 8,
    });
    assert.equal(res.status, 501);
    assert.match(((await res.json()) as { error: string }).error, /^CUDA shared memory is not supported by tensorgate/);
    const named = await shm('cudasharedmemory/region/c/status');
    assert.deepEqual(
      [named.status, await named.json()],
      [404, { error: "Unable to find cuda shared memory region: 'c'" }],
    );
  });

  test('the shared-memory API group is restricted: no header, 403', async () => {
    const res = await shm('systemsharedmemory/status', undefined, {});
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { error: "This API is restricted, expecting header 'x-shm-key'" });
  });
});

describe('HTTP system shared memory off (the default)', () => {
  let plain: TestServer;
  before(async () => {
    plain = await startServer();
  });
  after(async () => plain.close());

  test("status lists none; register and unregister answer Triton's 'disabled' message", async () => {
    assert.deepEqual(await (await fetch(`${plain.http}/v2/systemsharedmemory/status`)).json(), []);
    for (const path of [
      'systemsharedmemory/region/r/register',
      'systemsharedmemory/unregister',
      'cudasharedmemory/unregister',
    ]) {
      const res = await fetch(`${plain.http}/v2/${path}`, { method: 'POST', body: '{"key":"/x","byte_size":1}' });
      assert.equal(res.status, 501, path);
      assert.deepEqual(await res.json(), {
        error: "Client shared memory is disabled. Start the server with '--allow-client-shm=true' to enable.",
      });
    }
  });
});
