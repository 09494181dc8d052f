/**
 * `--grpc-restricted-protocol` on the wire, on both gRPC transports (native and grpc-js): each API
 * group's RPCs (GRPCInferenceService, llm.LLMService, grpc.health.v1, unary and streaming) end
 * with Triton's UNAVAILABLE "This protocol is restricted, expecting header
 * 'triton-grpc-protocol-<header>'" without the metadata, with another value, another group's
 * header or the key sent twice, and are served with it; open groups stay open.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { grpc, grpcClient, type Msg } from '../helpers/grpc-client.js';
import { writeEchoLlm } from '../helpers/llm-echo-model.js';
import { startServer, tempRepository, type TestServer } from '../helpers/servers.js';
import { range, raw } from '../helpers/tensors.js';

const GROUPS = [
  'health',
  'metadata',
  'inference',
  'shared-memory',
  'model-config',
  'model-repository',
  'statistics',
  'trace',
  'logging',
];
const keyOf = (group: string): string => `triton-grpc-protocol-x-${group}-key`;
const secretOf = (group: string): string => `${group}-s3cret`;
const refusal = (key: string): string => `This protocol is restricted, expecting header '${key}'`;

const INFERENCE = 'inference.GRPCInferenceService';
const LLM = 'llm.LLMService';
const HEALTH = 'grpc.health.v1.Health';

const SIMPLE_REQUEST = {
  model_name: 'simple',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
  ],
  raw_input_contents: [raw('INT32', range(16)), raw('INT32', range(16))],
};

/** One RPC per row, and the status it ends with when allowed (OK unless said). */
interface Probe {
  readonly group: string;
  readonly service: string;
  readonly method: string;
  readonly kind: 'unary' | 'serverStream' | 'bidi';
  readonly request: Msg;
  readonly served?: grpc.status;
}

const PROBES: readonly Probe[] = [
  { group: 'health', service: INFERENCE, method: 'ServerLive', kind: 'unary', request: {} },
  { group: 'health', service: INFERENCE, method: 'ServerReady', kind: 'unary', request: {} },
  { group: 'health', service: INFERENCE, method: 'ModelReady', kind: 'unary', request: { name: 'simple' } },
  { group: 'health', service: HEALTH, method: 'Check', kind: 'unary', request: { service: '' } },
  { group: 'health', service: HEALTH, method: 'Watch', kind: 'serverStream', request: { service: '' } },
  { group: 'metadata', service: INFERENCE, method: 'ServerMetadata', kind: 'unary', request: {} },
  { group: 'metadata', service: INFERENCE, method: 'ModelMetadata', kind: 'unary', request: { name: 'simple' } },
  { group: 'inference', service: INFERENCE, method: 'ModelInfer', kind: 'unary', request: SIMPLE_REQUEST },
  { group: 'inference', service: INFERENCE, method: 'ModelStreamInfer', kind: 'bidi', request: SIMPLE_REQUEST },
  { group: 'inference', service: LLM, method: 'Generate', kind: 'unary', request: { prompt: 'hi', model: 'echo' } },
  { group: 'inference', service: LLM, method: 'StreamGenerate', kind: 'serverStream', request: { prompt: 'hi' } },
  {
    group: 'shared-memory',
    service: INFERENCE,
    method: 'SystemSharedMemoryStatus',
    kind: 'unary',
    request: {},
  },
  {
    group: 'shared-memory',
    service: INFERENCE,
    method: 'CudaSharedMemoryRegister',
    kind: 'unary',
    request: {},
    served: grpc.status.UNIMPLEMENTED,
  },
  { group: 'model-config', service: INFERENCE, method: 'ModelConfig', kind: 'unary', request: { name: 'simple' } },
  { group: 'model-repository', service: INFERENCE, method: 'RepositoryIndex', kind: 'unary', request: {} },
  {
    group: 'model-repository',
    service: INFERENCE,
    method: 'RepositoryModelLoad',
    kind: 'unary',
    request: { model_name: 'simple' },
  },
  { group: 'statistics', service: INFERENCE, method: 'ModelStatistics', kind: 'unary', request: { name: 'simple' } },
  { group: 'trace', service: INFERENCE, method: 'TraceSetting', kind: 'unary', request: {} },
  { group: 'logging', service: INFERENCE, method: 'LogSettings', kind: 'unary', request: {} },
];

/** How a call ended: its status code and details (a stream that delivered a message counts as OK). */
interface Outcome {
  readonly code: grpc.status;
  readonly details: string;
}

const OK: Outcome = { code: grpc.status.OK, details: '' };

function metadataOf(entries: Array<[string, string]>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [key, value] of entries) md.add(key, value);
  return md;
}

function run(clients: Map<string, Client>, probe: Probe, md: grpc.Metadata): Promise<Outcome> {
  const client = clients.get(probe.service)!;
  const failed = (err: grpc.ServiceError): Outcome => ({ code: err.code, details: err.details });
  return new Promise((resolve) => {
    if (probe.kind === 'unary') {
      client[probe.method](probe.request, md, (err: grpc.ServiceError | null) => resolve(err ? failed(err) : OK));
      return;
    }
    const stream = probe.kind === 'bidi' ? client[probe.method](md) : client[probe.method](probe.request, md);
    let delivered = false;
    stream.on('data', () => {
      // Health Watch never ends by itself: one message is enough.
      delivered = true;
      if (probe.method === 'Watch') stream.cancel();
    });
    stream.on('error', (err: grpc.ServiceError) => resolve(delivered ? OK : failed(err)));
    stream.on('end', () => resolve(delivered ? OK : { code: grpc.status.UNKNOWN, details: 'ended without a message' }));
    if (probe.kind === 'bidi') {
      stream.write(probe.request);
      stream.end();
    }
  });
}

let repo: Awaited<ReturnType<typeof tempRepository>>;
before(async () => {
  repo = await tempRepository(['simple']);
  await writeEchoLlm(repo.path, 'echo');
});
after(() => repo.remove());

type Client = ReturnType<typeof grpcClient>;

function connect(port: number): Map<string, Client> {
  return new Map([INFERENCE, LLM, HEALTH].map((service) => [service, grpcClient(port, service)]));
}

for (const transport of ['native', 'grpc-js']) {
  describe(`every group restricted, each with its own header (${transport} transport)`, () => {
    let s: TestServer;
    let clients: Map<string, Client>;
    before(async () => {
      s = await startServer(
        [
          ...GROUPS.flatMap((g) => ['--grpc-restricted-protocol', `${g}:x-${g}-key=${secretOf(g)}`]),
          ...['--grpc-transport', transport, '--model-control-mode', 'explicit', '--load-model', '*'],
          ...['--allow-http', 'false', '--allow-metrics', 'false'],
        ],
        repo.path,
      );
      clients = connect(s.grpcPort);
    });
    after(async () => {
      for (const c of clients.values()) c.close();
      await s.close();
    });

    test("without the metadata: UNAVAILABLE with Triton's message, for every RPC of every group", async () => {
      for (const probe of PROBES) {
        assert.deepEqual(
          await run(clients, probe, new grpc.Metadata()),
          {
            code: grpc.status.UNAVAILABLE,
            details: refusal(keyOf(probe.group)),
          },
          probe.method,
        );
      }
    });

    test("a wrong value, another group's header, or the key twice: UNAVAILABLE", async () => {
      for (const probe of PROBES) {
        const key = keyOf(probe.group);
        const other = probe.group === 'health' ? 'metadata' : 'health';
        for (const entries of [
          [[key, 'wrong']],
          [[key, `${secretOf(probe.group)}x`]],
          [[keyOf(other), secretOf(other)]],
          [[`x-${probe.group}-key`, secretOf(probe.group)]],
          [
            [key, secretOf(probe.group)],
            [key, secretOf(probe.group)],
          ],
        ] as Array<Array<[string, string]>>) {
          const outcome = await run(clients, probe, metadataOf(entries));
          assert.equal(outcome.code, grpc.status.UNAVAILABLE, `${probe.method} ${JSON.stringify(entries)}`);
        }
      }
    });

    test('with its metadata: served', async () => {
      for (const probe of PROBES) {
        const outcome = await run(clients, probe, metadataOf([[keyOf(probe.group), secretOf(probe.group)]]));
        assert.equal(outcome.code, probe.served ?? grpc.status.OK, `${probe.method}: ${outcome.details}`);
      }
    });

    test('a client-level header (as tritonclient sends headers= on every call) works', async () => {
      const client = grpcClient(s.grpcPort, INFERENCE, { metadata: { [keyOf('inference')]: secretOf('inference') } });
      try {
        const probe = PROBES.find((p) => p.method === 'ModelInfer')!;
        assert.deepEqual(await run(new Map([[INFERENCE, client]]), probe, new grpc.Metadata()), OK);
      } finally {
        client.close();
      }
    });
  });

  describe(`only the administrative groups restricted (${transport} transport)`, () => {
    let s: TestServer;
    let clients: Map<string, Client>;
    const ADMIN = ['model-repository', 'trace', 'logging'];
    before(async () => {
      s = await startServer(
        [
          ...['--grpc-restricted-protocol', `${ADMIN.join(',')}:x-admin-key=adm1n`],
          ...['--grpc-transport', transport, '--allow-http', 'false', '--allow-metrics', 'false'],
        ],
        repo.path,
      );
      clients = connect(s.grpcPort);
    });
    after(async () => {
      for (const c of clients.values()) c.close();
      await s.close();
    });

    test('the other groups stay open; the administrative ones share one header', async () => {
      for (const probe of PROBES) {
        const outcome = await run(clients, probe, new grpc.Metadata());
        if (!ADMIN.includes(probe.group)) {
          assert.equal(outcome.code, probe.served ?? grpc.status.OK, `${probe.method}: ${outcome.details}`);
          continue;
        }
        assert.deepEqual(outcome, {
          code: grpc.status.UNAVAILABLE,
          details: refusal('triton-grpc-protocol-x-admin-key'),
        });
        if (probe.method === 'RepositoryModelLoad') continue; // 'none' mode refuses loads whoever asks
        const allowed = await run(clients, probe, metadataOf([['triton-grpc-protocol-x-admin-key', 'adm1n']]));
        assert.equal(allowed.code, grpc.status.OK, `${probe.method}: ${allowed.details}`);
      }
    });
  });
}
