/**
 * Reads and validates a gateway routes file (YAML or JSON) into {@link RoutesFile}. Every problem
 * is reported with its location (`routes[1].inputs.INPUT.shape[0]`), all at once, so a user fixes
 * the file in one pass. The checks are hand-written because the schema is small and the messages
 * matter more than generality (no JSON-schema validator is a dependency of the server).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ALL_DATATYPES, type DataType } from '@tensorgate/protocol';
import { JsonPathSyntaxError, parseJsonPath } from './json-path.js';
import { parseOutputs } from './route-outputs.js';
import { Issues, isRecord, type Obj } from './route-issues.js';
import {
  RESERVED_PATHS,
  type InputMapping,
  type JobsUpstream,
  type RouteMode,
  type RouteSpec,
  type RoutesFile,
} from './route-types.js';

/** A routes file that could not be read or is invalid; `issues` lists every problem with its location. */
export class RoutesFileError extends Error {
  override readonly name = 'RoutesFileError';
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid routes file ${file}:\n  - ${issues.join('\n  - ')}`);
  }
}

/** What the parser may read besides the routes text (label files), injectable for tests. */
export interface RouteFileOptions {
  /** Name shown in errors. */
  readonly file: string;
  /** `json` parses strictly as JSON; `yaml` (default) accepts YAML, which includes JSON. */
  readonly format?: 'yaml' | 'json';
  /** Reads a label file named in the routes file; relative paths are resolved against `baseDir`. */
  readonly readText?: (path: string) => string;
  readonly baseDir?: string;
}

const MODES: readonly RouteMode[] = ['unary', 'collect', 'stream'];
const ROUTE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * Loads a routes file from disk (format from the extension: `.json` is JSON, anything else YAML).
 *
 * @example
 * ```ts
 * const routes = loadRoutesFile('examples/gateway/routes.yaml');
 * routes.routes.map((r) => r.path) // ['/forecast', '/predict', '/chat', '/chat/stream']
 * ```
 */
export function loadRoutesFile(path: string): RoutesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RoutesFileError(path, [`cannot read the file: ${(err as Error).message}`]);
  }
  return parseRoutesText(text, {
    file: path,
    format: path.toLowerCase().endsWith('.json') ? 'json' : 'yaml',
    baseDir: dirname(resolve(path)),
  });
}

/** Parses and validates routes text; throws {@link RoutesFileError} listing every problem. */
export function parseRoutesText(text: string, options: RouteFileOptions): RoutesFile {
  let doc: unknown;
  try {
    doc = options.format === 'json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new RoutesFileError(options.file, [`not valid ${options.format ?? 'yaml'}: ${(err as Error).message}`]);
  }
  return validateRoutes(doc, options);
}

/** Validates an already parsed document (see docs/gateway.md for the fields). */
export function validateRoutes(doc: unknown, options: RouteFileOptions): RoutesFile {
  const issues = new Issues();
  const readText = options.readText ?? ((p: string) => readFileSync(p, 'utf8'));
  const baseDir = options.baseDir ?? process.cwd();
  const readLabels = (path: string): string[] =>
    readText(resolve(baseDir, path))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);

  if (!isRecord(doc)) {
    throw new RoutesFileError(options.file, ['(root): expected an object with a `routes` list']);
  }
  issues.unknownKeys(doc, '', ['title', 'upstreams', 'healthIntervalMs', 'cors', 'routes', 'jobs']);
  const upstreams = issues.stringList(doc, 'upstreams', '') ?? [];
  upstreams.forEach((u, i) => {
    if (!/^[^\s:]+:\d+$/.test(u) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(u))
      issues.add(`upstreams[${i}]`, `expected host:port, got '${u}'`);
  });
  const healthIntervalMs = issues.int(doc, 'healthIntervalMs', '', 10, 3_600_000);
  let corsOrigins: string[] | undefined;
  if (doc['cors'] !== undefined) {
    const cors = doc['cors'];
    if (isRecord(cors)) {
      issues.unknownKeys(cors, 'cors', ['origins']);
      corsOrigins = issues.stringList(cors, 'origins', 'cors') ?? [];
    } else issues.add('cors', 'expected an object like { origins: ["https://app.example"] }');
  }
  const title = issues.string(doc, 'title', '') ?? 'tensorgate gateway';
  const jobs = parseJobsUpstream(doc['jobs'], issues);

  const routes: RouteSpec[] = [];
  const rawRoutes = doc['routes'];
  if (!Array.isArray(rawRoutes) || rawRoutes.length === 0) issues.add('routes', 'expected a non-empty list of routes');
  else {
    const seen = new Map<string, number>();
    rawRoutes.forEach((raw, i) => {
      const at = `routes[${i}]`;
      if (!isRecord(raw)) {
        issues.add(at, 'expected an object');
        return;
      }
      const route = parseRoute(raw, at, issues, readLabels);
      if (!route) return;
      if (route.jobs === true && jobs === undefined && doc['jobs'] === undefined) {
        issues.add(
          `${at}.jobs`,
          'needs the file\'s `jobs: { upstream: "http://host:8000" }` (the server\'s HTTP address)',
        );
      }
      const prev = seen.get(route.path);
      if (prev !== undefined) issues.add(`${at}.path`, `'${route.path}' is already used by routes[${prev}]`);
      seen.set(route.path, i);
      routes.push(route);
    });
  }
  if (issues.list.length > 0) throw new RoutesFileError(options.file, issues.list);
  return {
    title,
    upstreams,
    routes,
    ...(healthIntervalMs !== undefined && { healthIntervalMs }),
    ...(corsOrigins !== undefined && { corsOrigins }),
    ...(jobs !== undefined && { jobs }),
  };
}

/** `jobs: { upstream: "http://host:8000", forwardHeaders: [x-tenant] }`. */
function parseJobsUpstream(raw: unknown, issues: Issues): JobsUpstream | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    issues.add('jobs', 'expected an object like { upstream: "http://10.0.0.5:8000" }');
    return undefined;
  }
  issues.unknownKeys(raw, 'jobs', ['upstream', 'forwardHeaders']);
  const url = issues.string(raw, 'upstream', 'jobs', true);
  const forwardHeaders = issues.stringList(raw, 'forwardHeaders', 'jobs') ?? [];
  if (url === undefined) return undefined;
  if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) {
    issues.add('jobs.upstream', `expected the server's HTTP base URL (http://host:port), got '${url}'`);
    return undefined;
  }
  return { url, forwardHeaders };
}

function parseRoute(
  raw: Obj,
  at: string,
  issues: Issues,
  readLabels: (path: string) => string[],
): RouteSpec | undefined {
  issues.unknownKeys(raw, at, [
    'path',
    'model',
    'version',
    'mode',
    'summary',
    'description',
    'timeoutMs',
    'inputs',
    'outputs',
    'parameters',
    'example',
    'jobs',
  ]);
  const before = issues.list.length;
  const path = issues.string(raw, 'path', at, true);
  if (path !== undefined) {
    if (!ROUTE_PATH.test(path))
      issues.add(`${at}.path`, `'${path}' must look like /name or /a/b (letters, digits, '.', '_', '~', '-')`);
    else if (RESERVED_PATHS.includes(path)) issues.add(`${at}.path`, `'${path}' is served by the gateway itself`);
  }
  const model = issues.string(raw, 'model', at, true);
  const versionRaw = raw['version'];
  let version = '';
  if (typeof versionRaw === 'number' && Number.isInteger(versionRaw) && versionRaw > 0) version = String(versionRaw);
  else if (typeof versionRaw === 'string' && /^\d+$/.test(versionRaw)) version = versionRaw;
  else if (versionRaw !== undefined) issues.add(`${at}.version`, 'expected a positive integer');
  const modeRaw = issues.string(raw, 'mode', at) ?? 'unary';
  if (!MODES.includes(modeRaw as RouteMode)) issues.add(`${at}.mode`, `expected one of ${MODES.join(', ')}`);
  const summary = issues.string(raw, 'summary', at);
  const description = issues.string(raw, 'description', at);
  const timeoutMs = issues.int(raw, 'timeoutMs', at, 1, 3_600_000);
  const inputs = parseInputs(raw['inputs'], `${at}.inputs`, issues);
  const outputs = parseOutputs(raw['outputs'], `${at}.outputs`, issues, readLabels);
  const parameters: Record<string, string | number | boolean> = {};
  if (raw['parameters'] !== undefined) {
    if (!isRecord(raw['parameters'])) issues.add(`${at}.parameters`, 'expected an object of scalar values');
    else
      for (const [k, v] of Object.entries(raw['parameters'])) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') parameters[k] = v;
        else issues.add(`${at}.parameters.${k}`, 'expected a string, number or boolean');
      }
  }
  const jobs = raw['jobs'];
  if (jobs !== undefined && typeof jobs !== 'boolean') issues.add(`${at}.jobs`, 'expected true or false');
  if (jobs === true && modeRaw !== 'unary') {
    issues.add(`${at}.jobs`, `jobs need mode unary (a job has one response; mode is ${modeRaw})`);
  }
  if (issues.list.length > before || path === undefined || model === undefined) return undefined;
  return {
    path,
    model,
    version,
    mode: modeRaw as RouteMode,
    inputs,
    outputs,
    parameters,
    ...(summary !== undefined && { summary }),
    ...(description !== undefined && { description }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(raw['example'] !== undefined && { example: raw['example'] }),
    ...(jobs === true && { jobs: true }),
  };
}

function parseInputs(raw: unknown, at: string, issues: Issues): InputMapping[] {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    issues.add(at, 'expected an object mapping input tensor names to { from | value, datatype, shape }');
    return [];
  }
  const out: InputMapping[] = [];
  for (const [name, spec] of Object.entries(raw)) {
    const here = `${at}.${name}`;
    if (!isRecord(spec)) {
      issues.add(here, 'expected an object like { from: "$.field", datatype: FP32, shape: [-1] }');
      continue;
    }
    issues.unknownKeys(spec, here, ['from', 'value', 'default', 'datatype', 'shape', 'optional']);
    const datatype = issues.string(spec, 'datatype', here, true);
    if (datatype !== undefined && !ALL_DATATYPES.includes(datatype as DataType))
      issues.add(`${here}.datatype`, `unknown datatype '${datatype}' (one of ${ALL_DATATYPES.join(', ')})`);
    const shape = parseShape(spec['shape'], `${here}.shape`, issues);
    const fromText = issues.string(spec, 'from', here);
    let from: ReturnType<typeof parseJsonPath> | undefined;
    if (fromText !== undefined) {
      try {
        from = parseJsonPath(fromText);
      } catch (err) {
        if (err instanceof JsonPathSyntaxError) issues.add(`${here}.from`, err.message);
        else throw err;
      }
    }
    const hasValue = spec['value'] !== undefined;
    const hasDefault = spec['default'] !== undefined;
    const optional = spec['optional'] === true;
    if (spec['optional'] !== undefined && typeof spec['optional'] !== 'boolean')
      issues.add(`${here}.optional`, 'expected true or false');
    if (fromText === undefined && !hasValue) issues.add(here, 'needs `from` (a body field) or `value` (a constant)');
    if (fromText !== undefined && hasValue)
      issues.add(here, 'has both `from` and `value`; use `default` for a fallback');
    if (hasDefault && fromText === undefined) issues.add(`${here}.default`, 'only makes sense with `from`');
    if (optional && hasDefault) issues.add(`${here}.optional`, 'an input with a default is never left out');
    if (datatype === undefined || !ALL_DATATYPES.includes(datatype as DataType)) continue;
    out.push({
      name,
      datatype: datatype as DataType,
      valueIsDefault: hasDefault,
      optional,
      ...(shape !== undefined && { shape }),
      ...(from !== undefined && { from, fromText: fromText! }),
      ...(hasValue && { value: spec['value'] }),
      ...(hasDefault && { value: spec['default'] }),
    });
  }
  return out;
}

function parseShape(raw: unknown, at: string, issues: Issues): number[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    issues.add(at, 'expected a non-empty list of dimensions like [-1, 10, 1]');
    return undefined;
  }
  let ok = true;
  raw.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < -1) {
      issues.add(`${at}[${i}]`, `expected an integer >= -1, got ${JSON.stringify(d)}`);
      ok = false;
    }
  });
  if (ok && raw.filter((d) => d === -1).length > 1) {
    issues.add(at, 'at most one dimension may be -1 (inferred from the element count)');
    ok = false;
  }
  return ok ? (raw as number[]) : undefined;
}
