/**
 * The validators the deploy tests rely on refuse broken input: a misspelt field at any depth, a
 * wrong type, a missing required field, an unknown kind, an unsupported kustomization field, a
 * duplicate resource, a PromQL syntax error or a metric the server does not export. Each case
 * takes a real manifest from deploy/ and breaks one thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOY, REPO_ROOT, findObject, serveSettings } from './deploy-files.js';
import { parseYamlFile, renderKustomization, type KubeObject } from './kustomize-render.js';
import { typeOf, validateKube } from './kube-schema.js';
import { validateKserve } from './kserve-schema.js';
import { exportedSampleNames, metricNames } from './promql-metrics.js';

const base = renderKustomization(join(DEPLOY, 'kubernetes/base')).map((r) => r.object);
const clone = <T>(v: T): T => structuredClone(v);
const check = (o: KubeObject): Promise<string[]> => validateKube([{ label: 'case', value: o, type: typeOf(o) }]);

test('a valid Deployment passes (the baseline of the cases below)', async () => {
  assert.deepEqual(await check(findObject(base, 'Deployment')), []);
});

test('a misspelt field deep in a Deployment is refused by name', async () => {
  const d = clone(findObject(base, 'Deployment')) as any;
  const c = d.spec.template.spec.containers[0];
  c.readinesProbe = c.readinessProbe;
  delete c.readinessProbe;
  const problems = await check(d);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /'"readinesProbe"' does not exist in type 'IContainer'/);
});

test('a wrong type and a missing required field are refused', async () => {
  const d = clone(findObject(base, 'Deployment')) as any;
  d.spec.template.spec.terminationGracePeriodSeconds = '50';
  assert.ok((await check(d)).some((p) => /terminationGracePeriodSeconds must be integer/.test(p)));
  const e = clone(findObject(base, 'Deployment')) as any;
  delete e.spec.selector;
  assert.ok((await check(e)).some((p) => /spec must have required property selector/.test(p)));
});

test('CRDs are checked too: a PodMonitor field typo, a KEDA trigger without a type, an HPA v2 metric typo', async () => {
  const pm = clone(findObject(base, 'PodMonitor')) as any;
  pm.spec.podMetricsEndpoints[0].pth = '/metrics';
  assert.ok((await check(pm)).some((p) => p.includes('"pth"')));
  const so = clone(
    findObject(
      renderKustomization(join(DEPLOY, 'kubernetes/overlays/keda')).map((r) => r.object),
      'ScaledObject',
    ),
  ) as any;
  delete so.spec.triggers[0].type;
  assert.ok((await check(so)).some((p) => /triggers\/0 must have required property type/.test(p)));
  const hpa = clone(
    findObject(
      renderKustomization(join(DEPLOY, 'kubernetes/overlays/hpa-cpu')).map((r) => r.object),
      'HorizontalPodAutoscaler',
    ),
  ) as any;
  hpa.spec.metrics[0].resource.target.averageUtilisation = 70;
  assert.ok((await check(hpa)).some((p) => p.includes('"averageUtilisation"')));
});

test('an object of a kind without a schema is refused, not skipped', () => {
  assert.throws(
    () => typeOf({ apiVersion: 'example.com/v1', kind: 'Widget' }),
    /no schema for apiVersion 'example.com\/v1' kind 'Widget'/,
  );
});

const kserve = (file: string): KubeObject => parseYamlFile(join(REPO_ROOT, 'deploy/kserve', file))[0]!;

test('KServe: a runtime field typo, a bad protocol version and a container typo are refused', async () => {
  const r = clone(kserve('cluster-serving-runtime.yaml')) as any;
  r.spec.protocolVersion = r.spec.protocolVersions;
  assert.deepEqual(await validateKserve([{ label: 'r', value: r }]), [
    "r: /spec must NOT have additional properties 'protocolVersion'",
  ]);
  const p = clone(kserve('cluster-serving-runtime.yaml')) as any;
  p.spec.protocolVersions = ['v3'];
  assert.ok(
    (await validateKserve([{ label: 'p', value: p }])).some((m) =>
      m.includes('/spec/protocolVersions/0 must be equal to one of the allowed values'),
    ),
  );
  const c = clone(kserve('cluster-serving-runtime.yaml')) as any;
  c.spec.containers[0].arg = c.spec.containers[0].args;
  const problems = await validateKserve([{ label: 'c', value: c }]);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /^c\.spec\.containers\[0\]: .*'"arg"' does not exist in type 'IContainer'/);
});

test("KServe: typos in an InferenceService's own, inlined PodSpec and inlined Container fields are refused", async () => {
  const own = clone(kserve('inferenceservice-http.yaml')) as any;
  own.spec.predictor.model.modelFormat.nme = 'x';
  assert.ok(
    (await validateKserve([{ label: 'own', value: own }])).some((m) => m.includes("additional properties 'nme'")),
  );
  // minReplica is no KServe field, so it must be a PodSpec field: it is not.
  const pod = clone(kserve('inferenceservice-http.yaml')) as any;
  pod.spec.predictor.minReplica = 2;
  const podProblems = await validateKserve([{ label: 'pod', value: pod }]);
  assert.ok(
    podProblems.some((m) => m.includes('"minReplica"') && m.includes('IPodSpec')),
    podProblems.join('\n'),
  );
  // storageURI is no ModelSpec field, so it must be a Container field: it is not.
  const ctr = clone(kserve('inferenceservice-http.yaml')) as any;
  ctr.spec.predictor.model.storageURI = ctr.spec.predictor.model.storageUri;
  const ctrProblems = await validateKserve([{ label: 'ctr', value: ctr }]);
  assert.ok(
    ctrProblems.some((m) => m.includes('"storageURI"') && m.includes('IContainer')),
    ctrProblems.join('\n'),
  );
  // A real PodSpec field inlined in the predictor is accepted.
  const ok = clone(kserve('inferenceservice-http.yaml')) as any;
  ok.spec.predictor.serviceAccountName = 'models';
  assert.deepEqual(await validateKserve([{ label: 'ok', value: ok }]), []);
});

test('a container arg the server does not know is refused by its settings parser', () => {
  assert.throws(() => serveSettings(['serve', '--model-repository=/models', '--exit-timeout=30']), /exit-timeout/);
  assert.throws(() => serveSettings(['--model-repository=/models']), /must start with 'serve'/);
});

test('the renderer refuses unsupported kustomization fields, missing files and duplicate resources', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-kustomize-'));
  try {
    const k = (body: string): Promise<void> =>
      writeFile(
        join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`,
      );
    await k('resources: [a.yaml]\npatches: []\n');
    assert.throws(() => renderKustomization(dir), /kustomization field 'patches' is not supported/);
    await k('resources: [missing.yaml]\n');
    assert.throws(() => renderKustomization(dir), /resource 'missing.yaml' does not exist/);
    await writeFile(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n');
    await mkdir(join(dir, 'sub'));
    await writeFile(
      join(dir, 'sub/kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../a.yaml]\n',
    );
    await k('resources: [a.yaml, sub]\n');
    assert.throws(() => renderKustomization(dir), /resource \/ServiceAccount\/\/x is already defined/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('PromQL: names are found in every selector form, syntax errors and nameless selectors throw', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="$model"}[$__rate_interval]))) / on(x) {__name__="b"} + c',
    ),
    ['a_bucket', 'b', 'c'],
  );
  assert.deepEqual(metricNames('sum by (<<.GroupBy>>) (rate(d{<<.LabelMatchers>>}[1m]))'), ['d']);
  assert.throws(() => metricNames('sum(rate(a[1m])'), /syntax error/);
  assert.throws(() => metricNames('rate({job="x"}[1m])'), /names no metric/);
  const exported = exportedSampleNames('# HELP a x\n# TYPE a counter\na{m="1"} 0\nb_bucket{le="+Inf"} 1\n');
  assert.deepEqual([...exported].sort(), ['a', 'b_bucket']);
  assert.ok(!exported.has(metricNames('rate(nv_inference_typo[1m])')[0]!));
});
