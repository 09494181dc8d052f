/**
 * Small JS models and ensembles written into a temporary repository for the ensemble wire tests.
 * Models that must show what happened to them (started, cancelled) leave marker files in the
 * repository root, named after the request id, so tests can wait for them without timing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `Y = X * mul + add` elementwise; `add` may be a `version` multiple to tell versions apart. */
const AFFINE_JS = `export default class Affine {
  initialize(args) {
    const p = args.model_config.parameters;
    this.mul = Number(p.mul?.string_value ?? '1');
    this.add = Number(p.add?.string_value ?? '0') + Number(p.per_version?.string_value ?? '0') * Number(args.model_version);
  }
  execute(requests) {
    return requests.map((r) => ({ outputs: [{ name: 'Y', data: Float32Array.from(r.input('X').data, (v) => v * this.mul + this.add) }] }));
  }
}
`;

/** Two branches that each wait (bounded) for the other to have started the same request. */
const RENDEZVOUS_JS = `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
export default class Rendezvous {
  initialize(args) {
    this.root = join(args.model_repository, '..');
    const p = args.model_config.parameters;
    this.me = p.me.string_value;
    this.other = p.other.string_value;
    this.add = Number(p.add.string_value);
  }
  async execute(requests) {
    for (const r of requests) writeFileSync(join(this.root, 'started-' + this.me + '-' + r.id), '');
    const out = [];
    for (const r of requests) {
      const deadline = Date.now() + 30000;
      while (!existsSync(join(this.root, 'started-' + this.other + '-' + r.id)) && Date.now() < deadline) await sleep(5);
      out.push(existsSync(join(this.root, 'started-' + this.other + '-' + r.id))
        ? { outputs: [{ name: 'Y', data: Float32Array.from(r.input('X').data, (v) => v + this.add) }] }
        : { error: this.me + ' waited 30 s for ' + this.other + ' to start: the branches did not run in parallel' });
    }
    return out;
  }
}
`;

/** Holds each request until it is cancelled (at most 60 s), leaving started / cancelled markers. */
const HOLD_JS = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
export default class Hold {
  initialize(args) {
    this.root = join(args.model_repository, '..');
    this.name = args.model_name;
  }
  async execute(requests) {
    for (const r of requests) writeFileSync(join(this.root, 'hold-started-' + this.name + '-' + r.id), '');
    for (const r of requests) {
      const deadline = Date.now() + 60000;
      while (!r.isCancelled() && Date.now() < deadline) await sleep(5);
      if (r.isCancelled()) writeFileSync(join(this.root, 'hold-cancelled-' + this.name + '-' + r.id), '');
    }
    return requests.map((r) => ({ outputs: [{ name: 'Y', data: r.input('X').data }] }));
  }
}
`;

/** Decoupled: sends \`count\` (config parameter) responses Y = X + i, then the final flag. */
const FANOUT_JS = `export default class Fanout {
  initialize(args) {
    this.count = Number(args.model_config.parameters.count.string_value);
  }
  execute(requests) {
    for (const r of requests) {
      const sender = r.getResponseSender();
      const x = r.input('X').data;
      for (let i = 0; i < this.count; i++) sender.send({ outputs: [{ name: 'Y', data: Float32Array.from(x, (v) => v + i) }] });
      sender.send(undefined, { final: true });
    }
  }
}
`;

/** Y = A + B elementwise. */
const SUM_JS = `export default class Sum {
  execute(requests) {
    return requests.map((r) => {
      const a = r.input('A').data;
      const b = r.input('B').data;
      return { outputs: [{ name: 'Y', data: Float32Array.from(a, (v, i) => v + b[i]) }] };
    });
  }
}
`;

/** Fails every request. */
const BOOM_JS = `export default class Boom {
  execute() {
    throw new Error('model exploded');
  }
}
`;

const SOURCES = {
  affine: AFFINE_JS,
  rendezvous: RENDEZVOUS_JS,
  hold: HOLD_JS,
  fanout: FANOUT_JS,
  sum: SUM_JS,
  boom: BOOM_JS,
};

/** Options of a composing JS model with input X and output Y (FP32). */
export interface JsModelOptions {
  readonly kind: keyof typeof SOURCES;
  readonly maxBatch?: number;
  readonly dims?: string;
  readonly parameters?: Record<string, string | number>;
  /** Extra config text (dynamic_batching, version_policy, model_transaction_policy...). */
  readonly extra?: string;
  readonly versions?: readonly number[];
}

/** Writes a JS model `name` into `repo`. */
export async function writeJsModel(repo: string, name: string, o: JsModelOptions): Promise<void> {
  const dims = o.dims ?? '4';
  const params = Object.entries(o.parameters ?? {})
    .map(([k, v]) => `parameters { key: "${k}" value: { string_value: "${v}" } }`)
    .join('\n');
  await mkdir(join(repo, name), { recursive: true });
  await writeFile(
    join(repo, name, 'config.pbtxt'),
    `name: "${name}"
backend: "js"
max_batch_size: ${o.maxBatch ?? 8}
input [ ${(o.kind === 'sum' ? ['A', 'B'] : ['X']).map((i) => `{ name: "${i}" data_type: TYPE_FP32 dims: [ ${dims} ] }`).join(', ')} ]
output [ { name: "Y" data_type: TYPE_FP32 dims: [ ${dims} ] } ]
instance_group [ { count: 1 kind: KIND_CPU } ]
${params}
${o.extra ?? ''}
`,
  );
  for (const v of o.versions ?? [1]) {
    await mkdir(join(repo, name, String(v)), { recursive: true });
    await writeFile(join(repo, name, String(v), 'model.js'), SOURCES[o.kind]);
  }
}

/** One ensemble step: model (and version), `input_map` and `output_map` as objects. */
export interface StepSpec {
  readonly model: string;
  readonly version?: number;
  readonly input: Record<string, string>;
  readonly output: Record<string, string>;
}

/** Options of an ensemble: its tensors as `NAME` (FP32 [4]) or `NAME:TYPE:dims[:label file]`. */
export interface EnsembleOptions {
  readonly maxBatch?: number;
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
  readonly steps: readonly StepSpec[];
  /** Extra config text, and files to write in the ensemble folder (e.g. labels). */
  readonly extra?: string;
  readonly files?: Record<string, string>;
}

/** `NAME[:TYPE[:dims[:label file]]]` as a config tensor (FP32 [4] by default). */
function tensor(spec: string): string {
  const [name, type = 'FP32', dims = '4', labels] = spec.split(':');
  return `{ name: "${name}" data_type: TYPE_${type} dims: [ ${dims} ]${labels ? ` label_filename: "${labels}"` : ''} }`;
}

/** The config text of an ensemble. */
export function ensembleConfig(name: string, o: EnsembleOptions): string {
  const steps = o.steps.map(
    (s) =>
      `{ model_name: "${s.model}" model_version: ${s.version ?? -1} ` +
      Object.entries(s.input)
        .map(([k, v]) => `input_map { key: "${k}" value: "${v}" }`)
        .join(' ') +
      ' ' +
      Object.entries(s.output)
        .map(([k, v]) => `output_map { key: "${k}" value: "${v}" }`)
        .join(' ') +
      ' }',
  );
  return `name: "${name}"
platform: "ensemble"
max_batch_size: ${o.maxBatch ?? 8}
input [ ${(o.inputs ?? ['IN']).map((t) => tensor(t)).join(', ')} ]
output [ ${(o.outputs ?? ['OUT']).map((t) => tensor(t)).join(', ')} ]
ensemble_scheduling { step [ ${steps.join(',\n  ')} ] }
${o.extra ?? ''}
`;
}

/** Writes ensemble `name` into `repo` (with an empty version folder, as Triton expects). */
export async function writeEnsemble(repo: string, name: string, o: EnsembleOptions): Promise<void> {
  await mkdir(join(repo, name, '1'), { recursive: true });
  await writeFile(join(repo, name, 'config.pbtxt'), ensembleConfig(name, o));
  for (const [file, text] of Object.entries(o.files ?? {})) await writeFile(join(repo, name, file), text);
}
