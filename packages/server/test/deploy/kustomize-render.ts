/**
 * A kustomize-equivalent renderer for the kustomizations under deploy/, so that `npm test` renders
 * them on a machine without a recent kubectl (Debian's kubernetes-client is 1.20, whose embedded
 * kustomize v2.0.3 predates directories in `resources`). It implements only the fields our
 * kustomizations use and refuses any other one by name, so it can never render something
 * differently from kustomize without saying so; where `kubectl kustomize` (kustomize >= v4) is on
 * the PATH, manifests.test.ts also renders with it and compares the two.
 *
 * Hand-written because no npm package renders kustomizations (kustomize is a Go program).
 */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export type KubeObject = Record<string, unknown> & { apiVersion?: unknown; kind?: unknown; metadata?: unknown };

/** One rendered object and the file it came from. */
export interface RenderedObject {
  object: KubeObject;
  source: string;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'configMapGenerator']);
const SUPPORTED_GENERATOR_FIELDS = new Set(['name', 'files', 'options']);
const SUPPORTED_GENERATOR_OPTIONS = new Set(['labels', 'disableNameSuffixHash']);

/** Parses every YAML document of a file, refusing YAML errors and warnings. */
export function parseYamlFile(path: string, text = readFileSync(path, 'utf8')): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    if (doc.warnings.length > 0) throw new Error(`${path}: ${doc.warnings.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: a document is not a mapping`);
    out.push(value as KubeObject);
  }
  return out;
}

/** The identity kustomize keys resources by: group, kind, namespace and name. */
export function objectId(o: KubeObject): string {
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const meta = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  return `${group}/${String(o.kind)}/${String(meta.namespace ?? '')}/${String(meta.name)}`;
}

function kustomizationFile(dir: string): string {
  for (const name of KUSTOMIZATION_FILES) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${dir}: no kustomization.yaml`);
}

/**
 * Renders a kustomization directory: its `resources` (files and directories, recursively, in
 * order) and its `configMapGenerator` entries. Throws on an unsupported field, a missing file or
 * a resource id listed twice (as kustomize does).
 */
export function renderKustomization(dir: string): RenderedObject[] {
  const file = kustomizationFile(dir);
  const docs = parseYamlFile(file);
  if (docs.length !== 1) throw new Error(`${file}: expected one document`);
  const k = docs[0]!;
  for (const field of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(field)) {
      throw new Error(
        `${file}: kustomization field '${field}' is not supported by the test renderer (it implements ${[...SUPPORTED_FIELDS].join(', ')})`,
      );
    }
  }
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    throw new Error(`${file}: apiVersion/kind must be kustomize.config.k8s.io/v1beta1 Kustomization`);
  }
  const out: RenderedObject[] = [];
  const seen = new Map<string, string>();
  const add = (r: RenderedObject): void => {
    const id = objectId(r.object);
    const before = seen.get(id);
    if (before !== undefined) throw new Error(`${r.source}: resource ${id} is already defined by ${before}`);
    seen.set(id, r.source);
    out.push(r);
  };
  for (const entry of asList(k['resources'], file, 'resources')) {
    if (typeof entry !== 'string') throw new Error(`${file}: resources entries must be paths`);
    const p = resolve(dir, entry);
    if (!existsSync(p)) throw new Error(`${file}: resource '${entry}' does not exist`);
    if (statSync(p).isDirectory()) renderKustomization(p).forEach(add);
    else for (const object of parseYamlFile(p)) add({ object, source: p });
  }
  for (const gen of asList(k['configMapGenerator'], file, 'configMapGenerator')) add(generateConfigMap(gen, dir, file));
  return out;
}

function asList(value: unknown, file: string, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${file}: ${field} must be a list`);
  return value;
}

function generateConfigMap(gen: unknown, dir: string, file: string): RenderedObject {
  const g = gen as Record<string, unknown>;
  for (const field of Object.keys(g)) {
    if (!SUPPORTED_GENERATOR_FIELDS.has(field)) {
      throw new Error(`${file}: configMapGenerator field '${field}' is not supported by the test renderer`);
    }
  }
  const options = (g['options'] ?? {}) as Record<string, unknown>;
  for (const field of Object.keys(options)) {
    if (!SUPPORTED_GENERATOR_OPTIONS.has(field)) {
      throw new Error(`${file}: configMapGenerator option '${field}' is not supported by the test renderer`);
    }
  }
  // A name hash suffix would have to be computed exactly as kustomize does; we only render
  // generators that turn it off.
  if (options['disableNameSuffixHash'] !== true) {
    throw new Error(`${file}: the test renderer needs configMapGenerator options.disableNameSuffixHash: true`);
  }
  if (typeof g['name'] !== 'string') throw new Error(`${file}: configMapGenerator needs a name`);
  const data: Record<string, string> = {};
  for (const f of asList(g['files'], file, 'files')) {
    if (typeof f !== 'string' || f.includes('='))
      throw new Error(`${file}: configMapGenerator files must be plain paths`);
    data[basename(f)] = readFileSync(resolve(dir, f), 'utf8');
  }
  const metadata: Record<string, unknown> = { name: g['name'] };
  if (options['labels'] !== undefined) metadata['labels'] = options['labels'];
  return { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data }, source: file };
}

/** What `kubectl kustomize` can do on this machine. */
export type KubectlKustomize = { available: true; version: string } | { available: false; reason: string };

/** Whether a kubectl with kustomize v4 or later is on the PATH. */
export function kubectlKustomize(): KubectlKustomize {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.error !== undefined) return { available: false, reason: `kubectl is not on the PATH (${r.error.message})` };
  if (r.status !== 0) return { available: false, reason: `kubectl version failed: ${r.stderr.trim()}` };
  const v = (JSON.parse(r.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? '';
  const major = Number(/^v(\d+)/.exec(v)?.[1] ?? 0);
  if (major < 4) return { available: false, reason: `kubectl's kustomize is '${v || 'unknown'}', older than v4` };
  return { available: true, version: v };
}

/** Renders with `kubectl kustomize` (the caller checked {@link kubectlKustomize}). */
export function renderWithKubectl(dir: string): KubeObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseYamlFile(`kubectl kustomize ${dir}`, r.stdout);
}
