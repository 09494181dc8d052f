/**
 * deploy/kserve: the ClusterServingRuntime and the InferenceService examples validate against
 * KServe's fields (deploy/kserve/schema/kserve.schema.json, written from KServe's API types) and
 * the Kubernetes schemas of what they embed, and they fit together as KServe would run them:
 * the runtime's args (with each InferenceService's appended, as KServe does) are a valid
 * `tensorgate serve` line on /mnt/models with HTTP 8080 / gRPC 9000, the probes and metrics
 * annotation point at the right ports, and each InferenceService selects the runtime by name,
 * model format and protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEPLOY, filesUnder, REPO_ROOT, get, meta, preStopSeconds, serveSettings } from './deploy-files.js';
import { parseYamlFile, type KubeObject } from './kustomize-render.js';
import { validateKserve } from './kserve-schema.js';

const files = filesUnder(join(DEPLOY, 'kserve')).filter((f) => f.endsWith('.yaml'));
const objects = files.flatMap((f) => parseYamlFile(join(REPO_ROOT, f)).map((value) => ({ label: f, value })));
const runtime = objects.find((o) => o.value.kind === 'ClusterServingRuntime')!.value;
const services = objects.filter((o) => o.value.kind === 'InferenceService');
const runtimeContainer = get(runtime, 'spec', 'containers', 0);
/** Kubernetes' default terminationGracePeriodSeconds (a ServingRuntime cannot set it). */
const DEFAULT_GRACE_SECONDS = 30;

test('the runtime and three InferenceServices (HTTP, gRPC, LLM) are there', () => {
  assert.equal(meta(runtime).name, 'tensorgate');
  assert.deepEqual(services.map((s) => meta(s.value).name).sort(), [
    'tensorgate-grpc',
    'tensorgate-http',
    'tensorgate-llm',
  ]);
});

test('every KServe object validates against the KServe schema and the Kubernetes schemas', async () => {
  assert.deepEqual(await validateKserve(objects), []);
});

test("the runtime's container serves /mnt/models on KServe's ports with v2 REST and gRPC", () => {
  assert.deepEqual(get(runtime, 'spec', 'protocolVersions'), ['v2', 'grpc-v2']);
  // KServe merges the InferenceService's container into the one with this name.
  assert.equal(runtimeContainer.name, 'kserve-container');
  assert.equal(runtimeContainer.image, 'tensorgate/tensorgate:0.1.0');
  const s = serveSettings(runtimeContainer.args);
  assert.equal(s.modelRepository, '/mnt/models');
  assert.equal(s.httpPort, 8080);
  assert.equal(s.grpcPort, 9000);
  assert.equal(s.host, '0.0.0.0');
  const annotations = get(runtime, 'spec', 'annotations') as Record<string, string>;
  assert.equal(annotations['prometheus.kserve.io/port'], String(s.metricsPort));
  assert.equal(annotations['prometheus.kserve.io/path'], '/metrics');
  for (const [probe, path] of [
    ['startupProbe', '/v2/health/ready'],
    ['readinessProbe', '/v2/health/ready'],
    ['livenessProbe', '/v2/health/live'],
  ] as const) {
    assert.deepEqual(get(runtimeContainer, probe, 'httpGet'), { path, port: s.httpPort }, probe);
  }
  assert.equal(runtimeContainer.securityContext.runAsNonRoot, true);
  assert.equal(runtimeContainer.securityContext.readOnlyRootFilesystem, true);
});

for (const { label, value: isvc } of services) {
  const predictor = get(isvc, 'spec', 'predictor');
  const model = predictor.model;

  test(`${label}: selects the tensorgate runtime by name, model format and protocol`, () => {
    assert.equal(model.runtime, meta(runtime).name);
    const formats = get(runtime, 'spec', 'supportedModelFormats') as Array<{ name: string }>;
    assert.ok(
      formats.some((f) => f.name === model.modelFormat.name),
      `format ${model.modelFormat.name}`,
    );
    // KServe defaults protocolVersion to v1, which the runtime does not list: it must be set.
    assert.ok((get(runtime, 'spec', 'protocolVersions') as string[]).includes(model.protocolVersion));
    assert.match(model.storageUri, /^(s3|gs|pvc|https?):\/\//);
  });

  test(`${label}: the runtime's args plus its own parse, and the grace period outlasts the drain`, () => {
    // KServe appends the InferenceService's args to the runtime's (MergeRuntimeContainers).
    const s = serveSettings([...(runtimeContainer.args as string[]), ...((model.args as string[] | undefined) ?? [])]);
    const grace = (predictor.terminationGracePeriodSeconds as number | undefined) ?? DEFAULT_GRACE_SECONDS;
    const pause = preStopSeconds({ ...runtimeContainer, ...(model.lifecycle ? { lifecycle: model.lifecycle } : {}) });
    assert.ok(
      grace > pause + s.exitTimeoutSecs,
      `grace ${grace} <= preStop ${pause} + --exit-timeout-secs ${s.exitTimeoutSecs}`,
    );
  });
}

test('the gRPC InferenceService exposes the h2c port the server listens on', () => {
  const grpc = services.find((s) => meta(s.value).name === 'tensorgate-grpc')!.value;
  const model = get(grpc, 'spec', 'predictor', 'model');
  assert.equal(model.protocolVersion, 'grpc-v2');
  const s = serveSettings(runtimeContainer.args);
  assert.deepEqual(model.ports, [{ name: 'h2c', protocol: 'TCP', containerPort: s.grpcPort }]);
});

test('the LLM InferenceService autoscales with KEDA on an LLM metric', () => {
  const llm: KubeObject = services.find((s) => meta(s.value).name === 'tensorgate-llm')!.value;
  assert.equal(meta(llm).annotations?.['serving.kserve.io/autoscalerClass'], 'keda');
  const metric = get(llm, 'spec', 'predictor', 'autoScaling', 'metrics', 0);
  assert.equal(metric.type, 'External');
  assert.match(metric.external.metric.query, /tensorgate_llm_/);
});
