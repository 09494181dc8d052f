/**
 * The typed view of an ensemble's `ensemble_scheduling` (Triton's `ModelEnsembling`): its steps,
 * each a composing model (name, version) with `input_map` / `output_map` connecting the model's
 * tensors to ensemble tensors. Also refuses the fields of `ensemble_scheduling` tensorgate does not
 * implement, naming them, rather than loading an ensemble that would ignore them.
 */
import type { ModelConfig } from '../config/model-config.js';
import { ENSEMBLE_PLATFORM } from '../config/backend-autofill.js';
import { invalidArg, unsupported } from '../errors.js';

/** One step of an ensemble, in config order. */
export interface EnsembleStep {
  /** Position in `ensemble_scheduling.step` (Triton's step index in messages). */
  readonly index: number;
  readonly modelName: string;
  /** The composing model's version; -1 selects the latest serving version. */
  readonly modelVersion: number;
  /** `[composing model input, ensemble tensor]` pairs (`input_map`). */
  readonly inputs: ReadonlyArray<readonly [string, string]>;
  /** `[composing model output, ensemble tensor]` pairs (`output_map`). */
  readonly outputs: ReadonlyArray<readonly [string, string]>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `config` is an ensemble (`platform: "ensemble"` or an `ensemble_scheduling` block). */
export function isEnsembleConfig(config: Pick<ModelConfig, 'platform'> & Obj): boolean {
  return config.platform === ENSEMBLE_PLATFORM || config['ensemble_scheduling'] !== undefined;
}

/** An int64 config value as a number (protobuf JSON may spell 64-bit integers as strings). */
function int64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v);
  return 0;
}

function pairs(v: unknown): Array<readonly [string, string]> {
  if (!isObj(v)) return [];
  return Object.entries(v).map(([k, t]) => [k, typeof t === 'string' ? t : String(t)] as const);
}

/**
 * The steps of an ensemble config (normalized or raw). Refuses what tensorgate does not implement:
 * a step's `model_namespace` (no model namespacing) and `max_inflight_requests` (Triton blocks the
 * upstream step's response thread to apply it; a JS model's responses cannot be held back that
 * way, so a limit here would bound nothing).
 *
 * @throws InferenceError UNSUPPORTED naming the field, INVALID_ARG for a version below -1
 * @example
 * ```ts
 * ensembleSteps(config); // [{ index: 0, modelName: 'preprocess', modelVersion: -1, inputs: [['RAW', 'IMAGE']], ... }]
 * ```
 */
export function ensembleSteps(config: Pick<ModelConfig, 'name'> & Obj): EnsembleStep[] {
  const name = config.name;
  const scheduling = isObj(config['ensemble_scheduling']) ? config['ensemble_scheduling'] : {};
  if (int64(scheduling['max_inflight_requests']) !== 0) {
    throw unsupported(
      `model '${name}': ensemble_scheduling.max_inflight_requests is not supported yet (remove it: composing models' ` +
        `own queues, e.g. dynamic_batching { max_queue_size }, bound what waits)`,
    );
  }
  const raw = Array.isArray(scheduling['step']) ? scheduling['step'] : [];
  return raw.map((s: unknown, index): EnsembleStep => {
    const step = isObj(s) ? s : {};
    const ns = step['model_namespace'];
    if (typeof ns === 'string' && ns !== '') {
      throw unsupported(`model '${name}': ensemble_scheduling.step[${index}].model_namespace is not supported yet`);
    }
    const modelVersion = int64(step['model_version']);
    if (modelVersion < -1) {
      throw invalidArg(
        `step ${index} of ensemble '${name}' has model_version ${modelVersion}: expected -1 (the latest version) or a version number`,
      );
    }
    return {
      index,
      modelName: typeof step['model_name'] === 'string' ? step['model_name'] : '',
      modelVersion,
      inputs: pairs(step['input_map']),
      outputs: pairs(step['output_map']),
    };
  });
}

/**
 * The distinct composing models of an ensemble with the versions its steps ask for (-1: latest).
 *
 * @example
 * ```ts
 * composingModels(steps); // Map { 'preprocess' => Set { -1 }, 'classifier' => Set { 1 } }
 * ```
 */
export function composingModels(steps: readonly EnsembleStep[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const s of steps) {
    let versions = out.get(s.modelName);
    if (!versions) out.set(s.modelName, (versions = new Set()));
    versions.add(s.modelVersion);
  }
  return out;
}
