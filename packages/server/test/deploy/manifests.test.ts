/**
 * deploy/kubernetes and deploy/grafana: every kustomization renders (with the test renderer, and
 * with `kubectl kustomize` where a kubectl with kustomize >= v4 is installed, the two compared),
 * every rendered object validates against its Kubernetes / CRD schema with strict field names,
 * and the objects agree with each other and with the server: container args are accepted by
 * tensorgate's own settings parser, ports and probes point where the server listens, the grace
 * period outlasts preStop plus the drain timeout, selectors select the pods.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { join, relative } from 'node:path';
import {
  DEPLOY,
  REPO_ROOT,
  filesUnder,
  findObject,
  get,
  kustomizationDirs,
  meta,
  preStopSeconds,
  serveSettings,
} from './deploy-files.js';
import {
  kubectlKustomize,
  objectId,
  renderKustomization,
  renderWithKubectl,
  type KubeObject,
  type RenderedObject,
} from './kustomize-render.js';
import { typeOf, validateKube } from './kube-schema.js';

const dirs = kustomizationDirs();
const rendered = new Map<string, RenderedObject[]>(dirs.map((d) => [d, renderKustomization(d)]));
const rel = (p: string): string => relative(REPO_ROOT, p);
const base = rendered.get(join(DEPLOY, 'kubernetes/base'))!;

/** Files under deploy/ that are not Kubernetes objects, and the test that checks each. */
const NOT_KUBERNETES_OBJECTS = new Map([
  ['deploy/kubernetes/overlays/hpa-queue-time/prometheus-adapter-values.yaml', 'metrics-queries.test.ts'],
  ['deploy/grafana/prometheus-scrape.yaml', 'metrics-queries.test.ts'],
  ['deploy/grafana/tensorgate-dashboard.json', 'metrics-queries.test.ts (rendered here as a ConfigMap)'],
  ['deploy/kserve/schema/kserve.schema.json', 'kserve.test.ts'],
]);

test('the expected kustomizations exist', () => {
  assert.deepEqual(dirs.map(rel).sort(), [
    'deploy/grafana',
    'deploy/kubernetes/base',
    'deploy/kubernetes/overlays/hpa-cpu',
    'deploy/kubernetes/overlays/hpa-queue-time',
    'deploy/kubernetes/overlays/keda',
  ]);
});

test('every YAML file under deploy/ is rendered by a kustomization, is a KServe object, or is checked elsewhere', () => {
  const reached = new Set<string>();
  for (const list of rendered.values()) for (const r of list) reached.add(rel(r.source));
  for (const f of filesUnder(DEPLOY)) {
    if (f.endsWith('/kustomization.yaml') || f.startsWith('deploy/kserve/')) continue;
    if (NOT_KUBERNETES_OBJECTS.has(f)) continue;
    assert.ok(reached.has(f), `${f} is in no kustomization and is not checked by any test`);
  }
});

test('every rendered object validates against its schema, strict field names included', async () => {
  const checks = [...rendered.entries()].flatMap(([dir, list]) =>
    list.map((r) => ({
      label: `${rel(dir)}: ${rel(r.source)} ${objectId(r.object)}`,
      value: r.object,
      type: typeOf(r.object),
    })),
  );
  assert.ok(checks.length >= 20, `only ${checks.length} objects rendered`);
  assert.deepEqual(await validateKube(checks), []);
});

const kubectl = kubectlKustomize();
test(
  'kubectl kustomize renders the same objects as the test renderer',
  { skip: kubectl.available ? false : `kubectl kustomize cannot run here: ${kubectl.available ? '' : kubectl.reason}` },
  (t) => {
    if (kubectl.available) t.diagnostic(`kubectl kustomize ${kubectl.version}`);
    const byId = (list: KubeObject[]): Map<string, KubeObject> => new Map(list.map((o) => [objectId(o), o]));
    for (const [dir, ours] of rendered) {
      const theirs = byId(renderWithKubectl(dir));
      const mine = byId(ours.map((r) => r.object));
      assert.deepEqual([...theirs.keys()].sort(), [...mine.keys()].sort(), rel(dir));
      for (const [id, o] of mine)
        assert.ok(isDeepStrictEqual(theirs.get(id), o), `${rel(dir)}: ${id} differs from kubectl's`);
    }
  },
);

const deployment = findObject(base, 'Deployment', 'tensorgate');
const podSpec = get(deployment, 'spec', 'template', 'spec');
const container = get(podSpec, 'containers', 0);
const settings = serveSettings(container.args);
const portByName = new Map<string, number>(
  (container.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]),
);

test("the container's args are a valid `tensorgate serve` command line serving the mounted repository", () => {
  assert.equal(container.image, 'tensorgate/tensorgate:0.1.0');
  const mount = (container.volumeMounts as Array<{ name: string; mountPath: string; readOnly?: boolean }>).find(
    (m) => m.mountPath === settings.modelRepository,
  );
  assert.ok(mount, `no volume mounted at --model-repository ${settings.modelRepository}`);
  assert.equal(mount.readOnly, true);
  const volume = (podSpec.volumes as Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>).find(
    (v) => v.name === mount.name,
  );
  const claim = volume?.persistentVolumeClaim?.claimName;
  assert.ok(claim !== undefined, 'the models volume is not a PVC');
  findObject(base, 'PersistentVolumeClaim', claim);
});

test('container ports are where the server listens', () => {
  assert.equal(portByName.get('http'), settings.httpPort);
  assert.equal(portByName.get('grpc'), settings.grpcPort);
  assert.equal(portByName.get('metrics'), settings.metricsPort);
  assert.equal(settings.host, '0.0.0.0');
});

test('startup and readiness probes use /v2/health/ready, liveness /v2/health/live, on the HTTP port', () => {
  for (const [probe, path] of [
    ['startupProbe', '/v2/health/ready'],
    ['readinessProbe', '/v2/health/ready'],
    ['livenessProbe', '/v2/health/live'],
  ] as const) {
    assert.equal(get(container, probe, 'httpGet', 'path'), path, probe);
    const port = get(container, probe, 'httpGet', 'port') as string | number;
    assert.equal(typeof port === 'string' ? portByName.get(port) : port, settings.httpPort, probe);
  }
});

test('the grace period outlasts the preStop pause plus the drain timeout (--exit-timeout-secs)', () => {
  const pause = preStopSeconds(container);
  assert.ok(pause > 0, 'no preStop pause: endpoints would still route to a pod that stopped accepting');
  const grace = podSpec.terminationGracePeriodSeconds as number;
  assert.ok(
    grace > pause + settings.exitTimeoutSecs,
    `terminationGracePeriodSeconds ${grace} <= preStop ${pause} + --exit-timeout-secs ${settings.exitTimeoutSecs}`,
  );
});

test('the pod runs as non-root with a read-only root filesystem and resource requests', () => {
  assert.equal(podSpec.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
  assert.ok(container.resources.limits.memory);
  assert.equal(podSpec.automountServiceAccountToken, false);
  findObject(base, 'ServiceAccount', podSpec.serviceAccountName);
});

const podLabels = get(deployment, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
const selects = (selector: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);

test('the Deployment, Services, PodDisruptionBudget and PodMonitor select the pods', () => {
  assert.ok(selects(get(deployment, 'spec', 'selector', 'matchLabels')));
  for (const name of ['tensorgate', 'tensorgate-headless']) {
    const svc = findObject(base, 'Service', name);
    assert.ok(selects(get(svc, 'spec', 'selector')), name);
    for (const p of get(svc, 'spec', 'ports') as Array<{ name: string; targetPort: string }>) {
      assert.ok(portByName.has(p.targetPort), `${name}: targetPort ${p.targetPort} is no container port`);
    }
  }
  assert.ok(selects(get(findObject(base, 'PodDisruptionBudget'), 'spec', 'selector', 'matchLabels')));
  const pm = findObject(base, 'PodMonitor');
  assert.ok(selects(get(pm, 'spec', 'selector', 'matchLabels')));
  const endpoints = get(pm, 'spec', 'podMetricsEndpoints') as Array<{ port: string; path: string }>;
  assert.deepEqual(
    endpoints.map((e) => [portByName.get(e.port), e.path]),
    [[settings.metricsPort, '/metrics']],
  );
});

test('the headless Service resolves to ready pods for client-side gRPC balancing', () => {
  const svc = findObject(base, 'Service', 'tensorgate-headless');
  assert.equal(get(svc, 'spec', 'clusterIP'), 'None');
  assert.equal(get(svc, 'spec', 'publishNotReadyAddresses'), false);
  const grpcPort = (get(svc, 'spec', 'ports') as Array<{ name: string; port: number; appProtocol?: string }>).find(
    (p) => p.name === 'grpc',
  );
  assert.equal(grpcPort?.port, settings.grpcPort);
  assert.equal(grpcPort?.appProtocol, 'kubernetes.io/h2c');
});

test('the base leaves the replica count to the autoscalers; the overlays scale the Deployment', () => {
  assert.equal(get(deployment, 'spec', 'replicas'), undefined);
  for (const [overlay, kind] of [
    ['hpa-cpu', 'HorizontalPodAutoscaler'],
    ['hpa-queue-time', 'HorizontalPodAutoscaler'],
    ['keda', 'ScaledObject'],
  ] as const) {
    const objects = rendered.get(join(DEPLOY, 'kubernetes/overlays', overlay))!;
    const scaler = findObject(objects, kind);
    assert.deepEqual(get(scaler, 'spec', 'scaleTargetRef'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'tensorgate',
    });
    findObject(objects, 'Deployment', 'tensorgate');
    // Each overlay has exactly one autoscaler: two would fight over the replica count.
    const scalers = objects.filter((r) => ['HorizontalPodAutoscaler', 'ScaledObject'].includes(String(r.object.kind)));
    assert.equal(scalers.length, 1, overlay);
  }
});

test('the Grafana kustomization renders the dashboard as a sidecar-labelled ConfigMap', () => {
  const objects = rendered.get(join(DEPLOY, 'grafana'))!;
  const cm = findObject(objects, 'ConfigMap', 'tensorgate-dashboard');
  assert.equal(meta(cm).labels?.['grafana_dashboard'], '1');
  const dashboard = JSON.parse(get(cm, 'data', 'tensorgate-dashboard.json') as string) as { uid: string };
  assert.equal(dashboard.uid, 'tensorgate-overview');
});

test('every autoscaler keeps 2 to 10 replicas, scales up by 2 pods a minute and down by 1 every 2 minutes', () => {
  const expectedBehavior = {
    scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] },
  };
  for (const overlay of ['hpa-cpu', 'hpa-queue-time']) {
    const hpa = findObject(rendered.get(join(DEPLOY, 'kubernetes/overlays', overlay))!, 'HorizontalPodAutoscaler');
    assert.deepEqual([get(hpa, 'spec', 'minReplicas'), get(hpa, 'spec', 'maxReplicas')], [2, 10], overlay);
    assert.deepEqual(get(hpa, 'spec', 'behavior'), expectedBehavior, overlay);
  }
  const so = findObject(rendered.get(join(DEPLOY, 'kubernetes/overlays/keda'))!, 'ScaledObject');
  assert.deepEqual([get(so, 'spec', 'minReplicaCount'), get(so, 'spec', 'maxReplicaCount')], [2, 10]);
  assert.deepEqual(get(so, 'spec', 'advanced', 'horizontalPodAutoscalerConfig', 'behavior'), expectedBehavior);
});
