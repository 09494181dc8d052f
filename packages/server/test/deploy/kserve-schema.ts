/**
 * Validation of KServe objects (ClusterServingRuntime, InferenceService) against the JSON schema
 * we wrote from KServe's API types, `deploy/kserve/schema/kserve.schema.json` (its `$comment`
 * names the source files). KServe's own fields are checked by that schema with ajv; the
 * Kubernetes structs KServe embeds (containers, volumes, the PodSpec and Container fields it
 * inlines) are named there by `x-kubernetes-type` / `x-kubernetes-inline` and checked with the
 * kubernetes-models schemas (kube-schema.ts), strict field names included.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type AnySchema } from 'ajv';
import { REPO_ROOT_URL } from './deploy-files.js';
import { coreV1, validateKube, type KubeCheck, type KubeType } from './kube-schema.js';

/** The schema file, from the repository root. */
export const KSERVE_SCHEMA_PATH = new URL('deploy/kserve/schema/kserve.schema.json', REPO_ROOT_URL);

type Schema = Record<string, unknown>;

/** The parsed schema. */
export function loadKserveSchema(): Schema {
  return JSON.parse(readFileSync(KSERVE_SCHEMA_PATH, 'utf8')) as Schema;
}

/** `Container`, `apps/v1 DeploymentStrategy`, `ObjectMeta` → where kubernetes-models has it. */
function kubeType(name: string, partial = false): KubeType {
  if (name === 'ObjectMeta') return { module: '@kubernetes-models/apimachinery/apis/meta/v1', name, partial };
  const space = name.indexOf(' ');
  if (space < 0) return coreV1(name, partial);
  return { module: `kubernetes-models/${name.slice(0, space)}`, name: name.slice(space + 1), partial };
}

/** Finds the Kubernetes structs inside a KServe object, following the schema. */
function embeddedKubeChecks(root: Schema, schema: Schema, data: unknown, path: string, out: KubeCheck[]): void {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = ref.replace('#/definitions/', '');
    embeddedKubeChecks(root, (root['definitions'] as Record<string, Schema>)[name]!, data, path, out);
    return;
  }
  const kube = schema['x-kubernetes-type'];
  if (typeof kube === 'string') {
    out.push({ label: path, value: data, type: kubeType(kube) });
    return;
  }
  if (Array.isArray(data)) {
    const items = schema['items'] as Schema | undefined;
    if (items !== undefined) data.forEach((d, i) => embeddedKubeChecks(root, items, d, `${path}[${i}]`, out));
    return;
  }
  if (data === null || typeof data !== 'object') return;
  const props = (schema['properties'] ?? {}) as Record<string, Schema>;
  const record = data as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (props[key] !== undefined) embeddedKubeChecks(root, props[key], value, `${path}.${key}`, out);
  }
  const inline = schema['x-kubernetes-inline'];
  if (typeof inline === 'string') {
    const rest = Object.fromEntries(Object.entries(record).filter(([k]) => props[k] === undefined));
    out.push({ label: `${path} (inline ${inline} fields)`, value: rest, type: kubeType(inline, true) });
  }
}

/**
 * Validates KServe objects: KServe's fields by the schema, embedded Kubernetes structs by their
 * own schemas. Returns one message per problem (empty when all are valid).
 *
 * @example
 * ```ts
 * assert.deepEqual(await validateKserve([{ label: 'runtime.yaml', value: runtime }]), []);
 * ```
 */
export async function validateKserve(objects: Array<{ label: string; value: unknown }>): Promise<string[]> {
  const root = loadKserveSchema();
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: 'x-kubernetes-type', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-kubernetes-inline', schemaType: 'string' });
  const definitions = root['definitions'] as Record<string, Schema>;
  ajv.addSchema(root as AnySchema, 'kserve');
  const problems: string[] = [];
  const kubeChecks: KubeCheck[] = [];
  for (const { label, value } of objects) {
    const kind = (value as { kind?: unknown }).kind;
    const def = kind === 'InferenceService' ? 'InferenceService' : 'ClusterServingRuntime';
    const validate = ajv.getSchema(`kserve#/definitions/${def}`)!;
    if (!validate(value)) {
      for (const e of validate.errors ?? []) {
        const extra = e.keyword === 'additionalProperties' ? ` '${String(e.params['additionalProperty'])}'` : '';
        problems.push(`${label}: ${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`);
      }
      continue;
    }
    embeddedKubeChecks(root, definitions[def]!, value, label, kubeChecks);
  }
  return [...problems, ...(await validateKube(kubeChecks))];
}
