/**
 * Test helpers for the js backend: hand-built normalized configs, load contexts, a recording
 * response sender and tensor builders. Used only by the `*.test.ts` files beside it.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { encodeElements, type ConfigDataType, type DataType } from '@tensorgate/protocol';
import { pino } from 'pino';
import type {
  BackendModelContext,
  BackendResponse,
  ExecutionRequest,
  ResponseSender,
} from '../../backend-api/backend.js';
import type { InstanceGroupConfig, ModelConfig } from '../../core/config/model-config.js';
import type { Tensor } from '../../core/types.js';

/** Repository of the example models. */
export const EXAMPLES_DIR = new URL('../../../../../examples/model_repository/', import.meta.url).pathname;

type Io = readonly [name: string, type: ConfigDataType, dims: readonly number[]];

/** Options of {@link makeConfig}. */
export interface ConfigSpec {
  name: string;
  maxBatchSize?: number;
  inputs: readonly Io[];
  outputs: readonly Io[];
  decoupled?: boolean;
  instanceGroups?: readonly Partial<InstanceGroupConfig>[];
  defaultModelFilename?: string;
  /** Config `parameters`, as string values. */
  parameters?: Readonly<Record<string, string>>;
}

/** A normalized ModelConfig built by hand (what the config normalizer would produce). */
export function makeConfig(s: ConfigSpec): ModelConfig {
  const groups = s.instanceGroups ?? [{ count: 1, kind: 'KIND_CPU' }];
  return {
    name: s.name,
    platform: '',
    backend: 'js',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: s.maxBatchSize ?? 0,
    input: s.inputs.map(([name, data_type, dims]) => ({
      name,
      data_type,
      format: 'FORMAT_NONE',
      dims: [...dims],
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
    })),
    output: s.outputs.map(([name, data_type, dims]) => ({
      name,
      data_type,
      dims: [...dims],
      label_filename: '',
      is_shape_tensor: false,
    })),
    instance_group: groups.map((g, i) => ({ name: `${s.name}_${i}`, kind: 'KIND_CPU', count: 1, gpus: [], ...g })),
    default_model_filename: s.defaultModelFilename ?? '',
    parameters: Object.fromEntries(Object.entries(s.parameters ?? {}).map(([k, v]) => [k, { string_value: v }])),
    model_transaction_policy: { decoupled: s.decoupled ?? false },
    model_warmup: [],
  };
}

/** Log lines (parsed JSON) written by the contexts' loggers. */
export const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'debug' },
  new Writable({
    write(chunk: Buffer, _enc, cb): void {
      for (const line of chunk.toString().split('\n'))
        if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  }),
);

/** A load context for `<repo>/<config.name>/1`. */
export function makeContext(repo: string, config: ModelConfig): BackendModelContext {
  const modelPath = join(repo, config.name);
  return {
    name: config.name,
    version: 1,
    config,
    modelPath,
    versionPath: join(modelPath, '1'),
    repositoryPath: repo,
    logger: logger.child({ model: config.name }),
  };
}

const tempRepos: string[] = [];

/** Removes the repositories {@link writeModel} created. */
export async function removeTempRepos(): Promise<void> {
  await Promise.all(tempRepos.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Writes `<tmp>/<name>/1/<file>` with `source`; returns the repository path. */
export async function writeModel(name: string, source: string, file = 'model.js', repo?: string): Promise<string> {
  const root = repo ?? (await mkdtemp(join(tmpdir(), 'tg-js-')));
  if (!repo) tempRepos.push(root);
  await mkdir(join(root, name, '1'), { recursive: true });
  // A package.json marks the tree as ESM, whatever Node's module detection does.
  await writeFile(join(root, 'package.json'), '{"type":"module"}');
  await writeFile(join(root, name, '1', file), source);
  return root;
}

/** One send() as recorded. */
export interface Sent {
  readonly response: BackendResponse | undefined;
  readonly final: boolean;
}

/** A ResponseSender that records every call and resolves `done` on the final flag. */
export class RecordingSender implements ResponseSender {
  readonly sent: Sent[] = [];
  readonly done: Promise<Sent[]>;
  private resolveDone!: (s: Sent[]) => void;

  constructor() {
    this.done = new Promise((res) => (this.resolveDone = res));
  }

  private waiters: Array<{ count: number; resolve: () => void }> = [];

  send(response: BackendResponse | undefined, flags: { final: boolean }): void {
    if (this.sent.at(-1)?.final) throw new Error('send() after final');
    this.sent.push({ response, final: flags.final });
    if (flags.final) this.resolveDone(this.sent);
    for (const w of this.waiters.filter((w) => this.sent.length >= w.count)) w.resolve();
  }

  /** Resolves once `count` responses have been sent. */
  waitFor(count: number): Promise<void> {
    if (this.sent.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** The only response of a non-decoupled request. */
  get single(): BackendResponse {
    if (this.sent.length !== 1 || !this.sent[0]!.final || !this.sent[0]!.response) {
      throw new Error(`expected one final response, got ${JSON.stringify(this.sent.map((s) => s.final))}`);
    }
    return this.sent[0]!.response;
  }
}

/** A tensor from plain values. */
export function tensor(name: string, datatype: DataType, shape: readonly number[], values: readonly unknown[]): Tensor {
  return { name, datatype, shape, data: encodeElements(datatype, values) };
}

/** An execution request with a recording sender. */
export function makeRequest(
  inputs: readonly Tensor[],
  requestedOutputs: readonly string[],
  opts: { batchSize?: number; signal?: AbortSignal; id?: string } = {},
): ExecutionRequest & { sender: RecordingSender } {
  return {
    id: opts.id ?? '',
    inputs,
    requestedOutputs,
    parameters: {},
    batchSize: opts.batchSize ?? 1,
    sender: new RecordingSender(),
    signal: opts.signal ?? new AbortController().signal,
  };
}

/** The output `name` of a response, or a thrown error naming what is there instead. */
export function output(response: BackendResponse, name: string): Tensor {
  if (response.error) throw new Error(`response is an error: ${response.error.message}`);
  const t = response.outputs.find((o) => o.name === name);
  if (!t) throw new Error(`no output ${name} in [${response.outputs.map((o) => o.name).join(', ')}]`);
  return t;
}
