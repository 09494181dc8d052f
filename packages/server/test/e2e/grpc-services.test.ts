/**
 * Custom gRPC services (`--grpc-services`) over the real wire, on both transports, with clients
 * built by @grpc/proto-loader from the services' own .proto: the example `modelserving.Predictor`
 * (Predict, PredictFast through image_preprocess, bidi StreamPredict; backed by image_classifier)
 * with the seed's 50 MB channel limits and keepalive options, and a test service with one rpc of
 * every kind, handler failures, metadata, deadlines and cancellation. Also the per-method metrics,
 * `--grpc-restricted-protocol` and the health service.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES, eventually, startServer, type TestServer } from '../helpers/servers.js';
import {
  collect,
  EXAMPLE_SERVICES,
  grpc,
  KINDS_MODULE,
  KINDS_PROTO,
  PREDICTOR_PROTO,
  protoLoaderClient,
  servicesFolder,
  unaryCall,
} from '../helpers/grpc-services.js';
import { encode, patternPixels } from '../helpers/images.js';

/** The seed's channel options: 50 MB messages both ways and keepalive pings. */
const SEED_CHANNEL: grpc.ChannelOptions = {
  'grpc.max_send_message_length': 50 * 1024 * 1024,
  'grpc.max_receive_message_length': 50 * 1024 * 1024,
  'grpc.keepalive_time_ms': 1000,
  'grpc.keepalive_timeout_ms': 5000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.max_pings_without_data': 0,
};
/** What the server needs to take those pings (docs/grpc-services.md#keepalive). */
const SEED_KEEPALIVE_FLAGS = [
  '--grpc-keepalive-permit-without-calls',
  'true',
  '--grpc-http2-min-recv-ping-interval-without-data',
  '500', // half the client's interval, as docs/grpc-services.md advises: pings arrive early on a busy host
];

const IMAGE = Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i / 50) * 0.5);

for (const transport of ['native', 'grpc-js'] as const) {
  describe(`custom gRPC services on the ${transport} transport`, () => {
    let s: TestServer;
    let services: { path: string; remove(): Promise<void> };
    before(async () => {
      services = await servicesFolder({ kinds: [KINDS_PROTO, KINDS_MODULE] });
      // The example Predictor beside the test service: a folder of the example's files.
      const { cp } = await import('node:fs/promises');
      await cp(join(EXAMPLE_SERVICES, 'predictor'), join(services.path, 'predictor'), { recursive: true });
      s = await startServer(
        [
          '--grpc-services',
          services.path,
          '--grpc-transport',
          transport,
          '--model-control-mode',
          'explicit',
          '--load-model',
          'image_classifier',
          '--load-model',
          'image_preprocess',
          '--load-model',
          'simple',
          ...(transport === 'native' ? SEED_KEEPALIVE_FLAGS : []),
        ],
        EXAMPLES,
      );
    });
    after(async () => {
      await s?.close();
      await services?.remove();
    });

    const predictor = (): grpc.Client & Record<string, any> =>
      protoLoaderClient(PREDICTOR_PROTO, 'modelserving.Predictor', s.grpcPort, SEED_CHANNEL);
    const kinds = (): grpc.Client & Record<string, any> =>
      protoLoaderClient(join(services.path, 'kinds', 'service.proto'), 'testsvc.Kinds', s.grpcPort);

    test('Predict classifies one CHW image through image_classifier (probabilities, confidence)', async () => {
      const c = predictor();
      const res = await unaryCall(c, 'Predict', {
        model_name: 'image_classifier',
        tensor_data: IMAGE,
        width: 224,
        height: 224,
      });
      c.close();
      assert.equal(res.predictions.length, 1000, String(res.details));
      const sum = res.predictions.reduce((a: number, b: number) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `probabilities sum to ${sum}`);
      assert.equal(res.confidence, Math.max(...res.predictions));
      // The call went through the model's own path: its statistics count it.
      const stats = (await (await fetch(`${s.http}/v2/models/image_classifier/stats`)).json()) as any;
      assert.ok(stats.model_stats[0].inference_stats.success.count >= 1);
    });

    test('PredictFast takes the encoded image (image_preprocess) and StreamPredict answers each request in order', async () => {
      const c = predictor();
      const png = await encode(patternPixels(300, 200), 300, 200, 'png');
      const fast = await unaryCall(c, 'PredictFast', { raw_image: png });
      assert.equal(fast.predictions?.length, 1000, String(fast.details));
      const notImage = await unaryCall(c, 'PredictFast', { raw_image: Buffer.from('not an image') });
      assert.equal(notImage.code, grpc.status.INVALID_ARGUMENT);

      const call = c.StreamPredict();
      const done = collect(call);
      const images = [IMAGE, IMAGE.map((v) => -v), IMAGE];
      for (const data of images) call.write({ tensor_data: data, width: 224, height: 224 });
      call.end();
      const { messages, error } = await done;
      c.close();
      assert.equal(error, undefined);
      assert.equal(messages.length, 3);
      assert.deepEqual(messages[0].predictions, messages[2].predictions);
      assert.notDeepEqual(messages[0].predictions, messages[1].predictions);
    });

    test('a 45 MB message passes under the seed 50 MB channel limits; the handler judges it', async () => {
      const c = predictor();
      // 11.25 M floats: 45 MB on the wire, decoded by the service worker, refused by the handler's own check.
      const big = new Array<number>(45_000_000 / 4).fill(0.25);
      const res = await unaryCall(c, 'Predict', { tensor_data: big, width: 224, height: 224 });
      c.close();
      assert.equal(res.code, grpc.status.INVALID_ARGUMENT, String(res.details));
      assert.match(res.details, /got 11250000 for width 224/);
    });

    test('the seed keepalive pings (every second here) do not end a quiet StreamPredict stream', async () => {
      const c = predictor();
      const call = c.StreamPredict();
      const done = collect(call);
      call.write({ tensor_data: IMAGE, width: 224, height: 224 });
      // Quiet for 5 pings: past the default ping policy's 2 strikes, within the flags above.
      await new Promise((r) => setTimeout(r, 5000));
      call.write({ tensor_data: IMAGE, width: 224, height: 224 });
      call.end();
      const { messages, error } = await done;
      c.close();
      assert.equal(error, undefined);
      assert.equal(messages.length, 2);
    });

    test('one rpc of each kind: unary (calling a model), server-, client- and bidi-streaming', async () => {
      const c = kinds();
      const echo = await unaryCall(c, 'Echo', { value: 5, values: [1.5, 2.5] });
      assert.equal(echo.value, 21); // 5 + 16 through simple
      assert.deepEqual(echo.values, [1.5, 2.5]); // packed floats arrive as a Float32Array and go back
      const count = await collect(c.Count({ value: 4 }));
      assert.deepEqual(
        count.messages.map((m) => m.value),
        [0, 1, 2, 3],
      );
      const sum = await new Promise<any>((resolve) => {
        const call = c.Sum((err: unknown, res: unknown) => resolve(err ?? res));
        for (let i = 1; i <= 100; i++) call.write({ value: i });
        call.end();
      });
      assert.equal(sum.value, 5050);
      const bidi = c.Double();
      const doubled = collect(bidi);
      for (let i = 0; i < 50; i++) bidi.write({ value: i });
      bidi.end();
      assert.deepEqual(
        (await doubled).messages.map((m) => m.value),
        Array.from({ length: 50 }, (_, i) => i * 2),
      );
      c.close();
    });

    test('a failing handler fails only its call: UNKNOWN, a status it throws, INTERNAL for a bad response', async () => {
      const c = kinds();
      const plain = await unaryCall(c, 'Fail', { value: 1 });
      assert.deepEqual([plain.code, plain.details], [grpc.status.UNKNOWN, 'plain failure']);
      const denied = await unaryCall(c, 'Fail', { value: 2 });
      assert.deepEqual([denied.code, denied.details], [grpc.status.PERMISSION_DENIED, 'not for you']);
      const numeric = await unaryCall(c, 'Fail', { value: 3 });
      assert.deepEqual([numeric.code, numeric.details], [grpc.status.FAILED_PRECONDITION, 'numeric status']);
      const invalid = await unaryCall(c, 'Fail', { value: 4 });
      assert.equal(invalid.code, grpc.status.INTERNAL);
      assert.match(invalid.details, /handler Fail returned an invalid testsvc\.Num: value: integer expected/);
      const nothing = await unaryCall(c, 'Fail', { value: 5 });
      assert.equal(nothing.code, grpc.status.INTERNAL);
      assert.match(nothing.details, /returned undefined, not a testsvc\.Num object/);
      // The service keeps serving.
      assert.equal((await unaryCall(c, 'Echo', { value: 1 })).value, 17);
      c.close();
    });

    test('handlers see the metadata and the deadline; cancellation and the deadline abort their signal', async () => {
      const c = kinds();
      const md = new grpc.Metadata();
      md.add('x-tenant', 'acme');
      const deadline = Date.now() + 60_000;
      const meta = await unaryCall(c, 'Meta', { value: 0 }, md, { deadline });
      const seen = JSON.parse(meta.text);
      assert.deepEqual(seen.metadata['x-tenant'], ['acme']);
      assert.equal(seen.method, '/testsvc.Kinds/Meta');
      assert.ok(Math.abs(seen.deadline - deadline) < 1000, `deadline ${seen.deadline} vs ${deadline}`);

      const byDeadline = join(tmpdir(), `tg-wait-${process.pid}-${transport}-deadline`);
      // Long enough for the call to reach its handler on a loaded machine.
      const late = await unaryCall(c, 'Wait', { text: byDeadline }, new grpc.Metadata(), {
        deadline: Date.now() + 4000,
      });
      assert.equal(late.code, grpc.status.DEADLINE_EXCEEDED);
      await eventually(() => existsSync(byDeadline));
      assert.match(readFileSync(byDeadline, 'utf8'), /deadline/);

      const byCancel = join(tmpdir(), `tg-wait-${process.pid}-${transport}-cancel`);
      const call = c.Wait({ text: byCancel }, () => undefined);
      await eventually(() => existsSync(`${byCancel}.started`)); // the handler runs: cancel it
      call.cancel();
      await eventually(() => existsSync(byCancel));
      assert.match(readFileSync(byCancel, 'utf8'), /cancelled/);
      c.close();
    });

    test('/metrics has requests, failures by status and a latency histogram per method', async () => {
      const text = await (await fetch(s.metrics)).text();
      assert.match(
        text,
        /tensorgate_grpc_service_requests_total\{service="modelserving.Predictor",method="Predict"\} [1-9]/,
      );
      assert.match(
        text,
        /tensorgate_grpc_service_failures_total\{service="testsvc.Kinds",method="Fail",code="UNKNOWN"\} [1-9]/,
      );
      assert.match(
        text,
        /tensorgate_grpc_service_failures_total\{service="testsvc.Kinds",method="Fail",code="PERMISSION_DENIED"\} [1-9]/,
      );
      assert.match(
        text,
        /tensorgate_grpc_service_request_duration_seconds_count\{service="testsvc.Kinds",method="Sum"\} [1-9]/,
      );
      assert.match(
        text,
        /tensorgate_grpc_service_request_duration_seconds_bucket\{le="\+Inf",service="testsvc.Kinds",method="Echo"\} [1-9]/,
      );
    });

    test('grpc.health.v1 knows the custom services', async () => {
      const { grpcClient } = await import('../helpers/grpc-client.js');
      const health = grpcClient(s.grpcPort, 'grpc.health.v1.Health');
      const res = await new Promise<any>((resolve) =>
        health.Check({ service: 'modelserving.Predictor' }, (e: unknown, r: unknown) => resolve(e ?? r)),
      );
      health.close();
      assert.equal(res.status, 'SERVING');
    });
  });
}

describe('custom gRPC services and --grpc-restricted-protocol', () => {
  let s: TestServer;
  let services: { path: string; remove(): Promise<void> };
  before(async () => {
    services = await servicesFolder({ kinds: [KINDS_PROTO, KINDS_MODULE] });
    s = await startServer(
      [
        '--grpc-services',
        services.path,
        '--grpc-restricted-protocol',
        'inference:x-key=s3cret',
        '--model-control-mode',
        'explicit',
        '--load-model',
        'simple',
      ],
      EXAMPLES,
    );
  });
  after(async () => {
    await s?.close();
    await services?.remove();
  });

  test('their rpcs are in the inference group: refused without the header, served with it', async () => {
    const c = protoLoaderClient(join(services.path, 'kinds', 'service.proto'), 'testsvc.Kinds', s.grpcPort);
    const refused = await unaryCall(c, 'Echo', { value: 1 });
    assert.equal(refused.code, grpc.status.UNAVAILABLE);
    assert.equal(refused.details, "This protocol is restricted, expecting header 'triton-grpc-protocol-x-key'");
    const stream = await collect(c.Count({ value: 2 }));
    assert.equal(stream.error?.code, grpc.status.UNAVAILABLE);
    const md = new grpc.Metadata();
    md.add('triton-grpc-protocol-x-key', 's3cret');
    assert.equal((await unaryCall(c, 'Echo', { value: 1 }, md)).value, 17);
    c.close();
  });
});

describe('custom gRPC services and tracing', () => {
  test("a handler's model call is traced as a request of its own (--trace-config, Triton's file)", async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const dir = await mkdtemp(join(tmpdir(), 'tensorgate-service-traces-'));
    const file = join(dir, 'trace.json');
    const services = await servicesFolder({ kinds: [KINDS_PROTO, KINDS_MODULE] });
    const s = await startServer(
      [
        '--grpc-services',
        services.path,
        '--model-control-mode',
        'explicit',
        '--load-model',
        'simple',
        '--trace-config',
        `triton,file=${file}`,
        '--trace-config',
        'level=TIMESTAMPS',
        '--trace-config',
        'rate=1',
      ],
      EXAMPLES,
    );
    try {
      const c = protoLoaderClient(join(services.path, 'kinds', 'service.proto'), 'testsvc.Kinds', s.grpcPort);
      assert.equal((await unaryCall(c, 'Echo', { value: 2 })).value, 18);
      c.close();
    } finally {
      await s.close();
      await services.remove();
    }
    const records = JSON.parse(await readFile(file, 'utf8')) as Array<Record<string, any>>;
    await rm(dir, { recursive: true, force: true });
    const header = records.find((r) => r['model_name'] === 'simple');
    assert.ok(header, `a trace of simple in ${JSON.stringify(records).slice(0, 300)}`);
    const stamps = records.filter((r) => r['id'] === header['id'] && r['timestamps']).flatMap((r) => r['timestamps']);
    for (const name of ['REQUEST_START', 'QUEUE_START', 'COMPUTE_START', 'COMPUTE_END', 'REQUEST_END']) {
      assert.ok(
        stamps.some((t: { name: string }) => t.name === name),
        `${name} in ${JSON.stringify(stamps)}`,
      );
    }
  });
});

describe('custom gRPC services over TLS', () => {
  const fixture = (name: string): string =>
    fileURLToPath(new URL(`../../../../packages/server/test/fixtures/tls/${name}`, import.meta.url));
  for (const transport of ['native', 'grpc-js'] as const) {
    test(`${transport}: served on the TLS port like the inference service; plaintext clients fail`, async () => {
      const services = await servicesFolder({ kinds: [KINDS_PROTO, KINDS_MODULE] });
      const s = await startServer(
        [
          '--grpc-services',
          services.path,
          '--grpc-transport',
          transport,
          '--grpc-use-ssl',
          '--grpc-server-cert',
          fixture('server.crt'),
          '--grpc-server-key',
          fixture('server.key'),
          '--model-control-mode',
          'explicit',
          '--load-model',
          'simple',
        ],
        EXAMPLES,
      );
      try {
        const proto = join(services.path, 'kinds', 'service.proto');
        const secure = protoLoaderClient(
          proto,
          'testsvc.Kinds',
          s.grpcPort,
          { 'grpc.ssl_target_name_override': 'localhost' },
          grpc.credentials.createSsl(readFileSync(fixture('ca.crt'))),
        );
        assert.equal((await unaryCall(secure, 'Echo', { value: 3 })).value, 19);
        secure.close();
        const plain = protoLoaderClient(proto, 'testsvc.Kinds', s.grpcPort);
        const refused = await unaryCall(plain, 'Echo', { value: 3 }, new grpc.Metadata(), {
          deadline: Date.now() + 5000,
        });
        plain.close();
        assert.ok(refused instanceof Error && (refused as grpc.ServiceError).code !== grpc.status.OK);
      } finally {
        await s.close();
        await services.remove();
      }
    });
  }
});
