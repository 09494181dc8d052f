/**
 * docs/deploy.md stays true: its YAML examples validate like the manifests, the paths it names
 * exist, the kustomizations it applies are the ones under deploy/, and the `serve` command lines
 * it shows are accepted by the server's settings parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY, REPO_ROOT, findObject, get, serveSettings } from './deploy-files.js';
import { parseYamlFile, renderKustomization } from './kustomize-render.js';
import { typeOf, validateKube } from './kube-schema.js';

const doc = readFileSync(join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
const blocks = (lang: string): string[] =>
  [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

test('the YAML examples validate against their schemas', async () => {
  const objects = blocks('yaml').flatMap((b, i) => parseYamlFile(`docs/deploy.md yaml block ${i}`, b));
  assert.ok(objects.length >= 1);
  const problems = await validateKube(objects.map((o, i) => ({ label: `yaml block ${i}`, value: o, type: typeOf(o) })));
  assert.deepEqual(problems, []);
});

test('the model loader pod mounts the claim the Deployment reads', () => {
  const pod = findObject(parseYamlFile('docs', blocks('yaml').join('\n---\n')), 'Pod', 'models-loader');
  const base = renderKustomization(join(DEPLOY, 'kubernetes/base'));
  const pvc = findObject(base, 'PersistentVolumeClaim');
  assert.equal(get(pod, 'spec', 'volumes', 0, 'persistentVolumeClaim', 'claimName'), get(pvc, 'metadata', 'name'));
  const deployment = findObject(base, 'Deployment');
  const mount = get(deployment, 'spec', 'template', 'spec', 'containers', 0, 'volumeMounts', 0, 'mountPath');
  assert.equal(get(pod, 'spec', 'containers', 0, 'volumeMounts', 0, 'mountPath'), mount);
});

test('every deploy/ path the page names exists, and every kustomization it applies is one', () => {
  const paths = new Set([...doc.matchAll(/\bdeploy\/[\w./-]*[\w/]/g)].map((m) => m[0].replace(/\/$/, '')));
  assert.ok(paths.size >= 10);
  for (const p of paths) assert.ok(existsSync(join(REPO_ROOT, p)), `docs/deploy.md names ${p}, which does not exist`);
  for (const m of doc.matchAll(/-k (deploy\/[\w/-]+)/g)) {
    assert.ok(existsSync(join(REPO_ROOT, m[1]!, 'kustomization.yaml')), `${m[1]} is no kustomization`);
  }
  for (const m of doc.matchAll(/-f (deploy\/[\w/.-]+)/g)) assert.ok(existsSync(join(REPO_ROOT, m[1]!)), m[1]);
});

test('the serve command lines on the page are valid', () => {
  const lines = blocks('bash')
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.includes('tensorgate/tensorgate:0.1.0 serve'));
  assert.ok(lines.length >= 1);
  for (const l of lines) {
    const args = l
      .slice(l.indexOf(' serve ') + 1)
      .trim()
      .split(/\s+/);
    const s = serveSettings(args);
    assert.equal(s.modelRepository, '/models');
  }
});
