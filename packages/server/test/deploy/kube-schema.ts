/**
 * Validation of Kubernetes objects without a cluster, against the schemas the `kubernetes-models`
 * packages generate from the Kubernetes OpenAPI (and from the Prometheus Operator and KEDA CRDs):
 *
 * 1. each model's validator (required fields, types, formats, enums), and
 * 2. strict field names, as `kubeconform -strict` or the API server's strict field validation:
 *    those validators accept unknown fields (their schemas have no `additionalProperties: false`),
 *    so a typo such as `readinesProbe` would pass. The same packages ship TypeScript interfaces
 *    generated from the same schemas; each object is type-checked as an object literal of its
 *    interface, and TypeScript's excess-property check refuses any field the schema lacks, at any
 *    depth.
 *
 * Objects whose apiVersion/kind has no schema here are refused, never skipped.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Where a schema lives: the module exporting the model class `name` and interface `I<name>`. */
export interface KubeType {
  module: string;
  name: string;
  /** Allow missing fields (an inline struct, such as KServe's container fields): `Partial<I...>`. */
  partial?: boolean;
}

/** An object to validate, named for error messages. */
export interface KubeCheck {
  label: string;
  value: unknown;
  type: KubeType;
}

const GROUP_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
};

/** The schema of a top-level object by its apiVersion and kind (throws when there is none). */
export function typeOf(object: { apiVersion?: unknown; kind?: unknown }): KubeType {
  const module = GROUP_MODULES[String(object.apiVersion)];
  if (module === undefined || typeof object.kind !== 'string' || !/^[A-Z][A-Za-z]+$/.test(object.kind)) {
    throw new Error(`no schema for apiVersion '${String(object.apiVersion)}' kind '${String(object.kind)}'`);
  }
  return { module, name: object.kind };
}

/** A core/v1 type by name, e.g. `Container`. */
export const coreV1 = (name: string, partial = false): KubeType => ({ module: 'kubernetes-models/v1', name, partial });

/** Placeholders for the required fields of the structs KServe inlines. */
const PLACEHOLDERS: Record<string, object> = { Container: { name: 'placeholder' }, PodSpec: { containers: [] } };

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** Runs the model's generated validator; returns its complaint or undefined. */
async function validateModel(check: KubeCheck): Promise<string | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(`${check.type.module}/${check.type.name}`)) as Record<string, unknown>;
  } catch {
    return `no schema module ${check.type.module}/${check.type.name}`;
  }
  const Model = mod[check.type.name] as ModelClass | undefined;
  if (Model === undefined) return `no model class ${check.type.name} in ${check.type.module}`;
  // A partial (inline) struct may leave out required fields: give the validator placeholders.
  const value =
    check.type.partial === true ? { ...PLACEHOLDERS[check.type.name], ...(check.value as object) } : check.value;
  try {
    new Model(value).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Parsed declaration files of kubernetes-models and TypeScript's lib, shared by every check. */
const declarationCache = new Map<string, ts.SourceFile>();

// The virtual file sits in this directory so that its imports resolve from our node_modules.
const HERE = dirname(fileURLToPath(import.meta.url));

/** Type-checks every value as a literal of its interface; returns complaints by check index. */
function strictFields(checks: KubeCheck[]): Map<number, string[]> {
  const file = join(HERE, '__kube_schema_check__.ts');
  const lines: string[] = [];
  const owner: number[] = [];
  const imports = new Map<string, string>();
  checks.forEach((c) => {
    const key = `${c.type.module}/${c.type.name}`;
    if (!imports.has(key)) imports.set(key, `T${imports.size}`);
  });
  for (const [key, alias] of imports) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    lines.push(`import type { I${name} as ${alias} } from '${key}';`);
    owner.push(-1);
  }
  checks.forEach((c, i) => {
    const alias = imports.get(`${c.type.module}/${c.type.name}`)!;
    const type = c.type.partial === true ? `Partial<${alias}>` : alias;
    const body = JSON.stringify(c.value, null, 1).split('\n');
    lines.push(`export const v${i}: ${type} = ${body[0]}`);
    owner.push(i);
    for (const l of body.slice(1)) {
      lines.push(l);
      owner.push(i);
    }
    lines[lines.length - 1] += ';';
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: false,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, lang) => {
    if (name === file) return ts.createSourceFile(name, source, lang);
    // The schema declarations never change during a run: parse each once.
    let sf = declarationCache.get(name);
    if (sf === undefined) {
      const text = ts.sys.readFile(name);
      if (text === undefined) return undefined;
      sf = ts.createSourceFile(name, text, lang);
      declarationCache.set(name, sf);
    }
    return sf;
  };
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const sf = program.getSourceFile(file)!;
  const out = new Map<number, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file !== sf || d.start === undefined) throw new Error(`schema check setup failed: ${message}`);
    const line = sf.getLineAndCharacterOfPosition(d.start).line;
    const i = owner[line] ?? -1;
    if (i < 0) throw new Error(`schema check setup failed: ${message}`);
    const list = out.get(i) ?? [];
    list.push(`${message.split('\n')[0]!.slice(0, 400)} (at: ${lines[line]!.trim().slice(0, 120)})`);
    out.set(i, list);
  }
  return out;
}

/**
 * Validates each object against its schema and returns one message per problem, prefixed by the
 * check's label (empty when all are valid).
 *
 * @example
 * ```ts
 * const problems = await validateKube([{ label: 'deployment.yaml', value: obj, type: typeOf(obj) }]);
 * assert.deepEqual(problems, []);
 * ```
 */
export async function validateKube(checks: KubeCheck[]): Promise<string[]> {
  const problems: string[] = [];
  for (const c of checks) {
    const p = await validateModel(c);
    if (p !== undefined) problems.push(`${c.label}: ${p}`);
  }
  for (const [i, list] of strictFields(checks)) for (const p of list) problems.push(`${checks[i]!.label}: ${p}`);
  return problems;
}
