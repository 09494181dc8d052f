/**
 * @tensorgate/client model control (explicit mode, config override) over both transports, gRPC
 * channel options (gzip compression, keepalive, message size limits) against a real server, and
 * gRPC retries against a fake server that is unavailable twice.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { GrpcInferenceClient, InferenceClient, InferInput } from '@tensorgate/client';
import { startServer, tempRepository } from '../helpers/servers.js';

describe('model control', () => {
  for (const transport of ['grpc', 'http'] as const) {
    test(`${transport}: load (with a config override) and unload in explicit mode`, async () => {
      const repo = await tempRepository(['simple', 'identity_fp32']);
      const s = await startServer(['--model-control-mode', 'explicit', '--load-model', 'simple'], repo.path);
      const c = transport === 'grpc' ? InferenceClient.grpc(`127.0.0.1:${s.grpcPort}`) : InferenceClient.http(s.http);
      try {
        assert.equal(await c.isModelReady('identity_fp32'), false);
        await c.loadModel('identity_fp32');
        assert.equal(await c.isModelReady('identity_fp32'), true);

        const cfg = await c.getModelConfig('simple');
        await c.loadModel('simple', { config: { ...cfg, max_batch_size: 4 } });
        assert.equal((await c.getModelConfig('simple')).max_batch_size, 4);

        await c.unloadModel('simple');
        assert.equal(await c.isModelReady('simple'), false);
        const row = (await c.getModelRepositoryIndex()).find((m) => m.name === 'simple');
        assert.equal(row?.state, 'UNAVAILABLE');
        await assert.rejects(c.loadModel('no_such_model'), { name: 'InferenceServerError' });
      } finally {
        await c.close();
        await s.close();
        await repo.remove();
      }
    });
  }
});

test('gRPC channel options: gzip compression, keepalive and a receive limit', async () => {
  const s = await startServer();
  const n = 1024;
  const input = () => [new InferInput('INPUT0', [n], 'FP32').setData(new Float32Array(n).fill(0.5))];
  const gz = new GrpcInferenceClient(`127.0.0.1:${s.grpcPort}`, {
    compression: 'gzip',
    keepalive: { timeMs: 60_000 },
  });
  const small = new GrpcInferenceClient(`127.0.0.1:${s.grpcPort}`, { maxReceiveMessageBytes: 1000 });
  try {
    const r = await gz.infer('identity_fp32', input());
    assert.deepEqual(r.asTypedArray('OUTPUT0'), new Float32Array(n).fill(0.5));
    await assert.rejects(small.infer('identity_fp32', input()), { code: 'RESOURCE_EXHAUSTED', status: 8 });
  } finally {
    await gz.close();
    await small.close();
    await s.close();
  }
});

test('gRPC retries: UNAVAILABLE twice, then an answer; INVALID_ARGUMENT is not retried', async () => {
  let calls = 0;
  let mode: 'flaky' | 'invalid' = 'flaky';
  const server = new grpc.Server();
  const ServerLive = {
    path: '/inference.GRPCInferenceService/ServerLive',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  };
  server.addService({ ServerLive } as grpc.ServiceDefinition, {
    ServerLive: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => {
      calls++;
      if (mode === 'invalid') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'nope' });
      if (calls <= 2) return cb({ code: grpc.status.UNAVAILABLE, details: 'warming up' });
      cb(null, Buffer.from([0x08, 0x01])); // ServerLiveResponse { live: true }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const c = new GrpcInferenceClient(`127.0.0.1:${port}`, { retry: { maxAttempts: 5, initialDelayMs: 1 } });
  try {
    assert.equal(await c.isServerLive(), true);
    assert.equal(calls, 3);
    mode = 'invalid';
    calls = 0;
    await assert.rejects(c.isServerLive(), { code: 'INVALID_ARG', status: 3, message: 'nope' });
    assert.equal(calls, 1);
  } finally {
    await c.close();
    server.forceShutdown();
  }
});
