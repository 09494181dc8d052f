/**
 * The `outputs` section of a route: reply field → output tensor, with optional post-processing
 * (softmax, argmax, top-k with labels) and squeezing. Either a bare tensor name
 * (`forecast: OUTPUT`) or an object (`predictions: { tensor: output, topK: 5, labels: server }`).
 */
import { Issues, isRecord } from './route-issues.js';
import type { LabelSource, OutputMapping } from './route-types.js';

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Parses the outputs mapping; absent means "every model output under its own name". */
export function parseOutputs(
  raw: unknown,
  at: string,
  issues: Issues,
  readLabels: (path: string) => string[],
): OutputMapping[] {
  if (raw === undefined) return [];
  if (!isRecord(raw)) {
    issues.add(at, 'expected an object mapping reply fields to output tensors');
    return [];
  }
  const out: OutputMapping[] = [];
  const serverLabelled = new Set<string>();
  for (const [field, spec] of Object.entries(raw)) {
    const here = `${at}.${field}`;
    if (!FIELD_NAME.test(field)) issues.add(here, 'a reply field name is letters, digits, _ and -');
    if (typeof spec === 'string' && spec.length > 0) {
      out.push({ field, tensor: spec, softmax: false, argmax: false, squeeze: true });
      continue;
    }
    if (!isRecord(spec)) {
      issues.add(here, 'expected a tensor name or { tensor, softmax?, argmax?, topK?, labels?, squeeze? }');
      continue;
    }
    issues.unknownKeys(spec, here, ['tensor', 'softmax', 'argmax', 'topK', 'labels', 'squeeze']);
    const tensor = issues.string(spec, 'tensor', here, true);
    const softmax = issues.bool(spec, 'softmax', here);
    const argmax = issues.bool(spec, 'argmax', here);
    const topK = issues.int(spec, 'topK', here, 1, 1_000_000);
    const squeeze = spec['squeeze'] === undefined ? true : issues.bool(spec, 'squeeze', here);
    const labels = parseLabels(spec['labels'], `${here}.labels`, issues, readLabels);
    if (argmax && topK !== undefined) issues.add(here, 'use either argmax or topK, not both');
    if (labels && !argmax && topK === undefined) issues.add(`${here}.labels`, 'labels need argmax or topK');
    if (labels?.kind === 'server' && softmax)
      issues.add(
        `${here}.softmax`,
        'softmax needs the whole tensor, but labels: server only returns the top classes; give a labels file',
      );
    if (tensor === undefined) continue;
    if (labels?.kind === 'server') serverLabelled.add(tensor);
    out.push({
      field,
      tensor,
      softmax,
      argmax,
      squeeze,
      ...(topK !== undefined && { topK }),
      ...(labels !== undefined && { labels }),
    });
  }
  // With `labels: server` the server replaces the tensor by its top classes, so no other field
  // can read the raw values of the same tensor in the same call.
  for (const tensor of serverLabelled)
    if (out.filter((m) => m.tensor === tensor).length > 1)
      issues.add(at, `output '${tensor}' uses labels: server, so it can be mapped to one field only`);
  return out;
}

function parseLabels(
  raw: unknown,
  at: string,
  issues: Issues,
  readLabels: (path: string) => string[],
): LabelSource | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'server') return { kind: 'server' };
  if (Array.isArray(raw)) {
    if (raw.every((l) => typeof l === 'string')) return { kind: 'list', labels: raw as string[] };
    issues.add(at, 'expected a list of strings');
    return undefined;
  }
  if (isRecord(raw) && typeof raw['file'] === 'string') {
    try {
      return { kind: 'list', labels: readLabels(raw['file']) };
    } catch (err) {
      issues.add(`${at}.file`, `cannot read labels: ${(err as Error).message}`);
      return undefined;
    }
  }
  issues.add(at, 'expected `server`, a list of labels, or { file: labels.txt }');
  return undefined;
}
