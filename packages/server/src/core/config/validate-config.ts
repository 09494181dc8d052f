/**
 * Model-level validation of a normalized configuration, after Triton's ValidateModelConfig and
 * ValidateInstanceGroup: platform/backend pairing, batch sizes, version policy, scheduler
 * settings (dynamic batching priorities, sequence controls), ensembles, instance groups and the
 * decoupled / response-cache combination. Messages keep Triton's wording.
 */
import { invalidArg } from '../errors.js';
import { checkPlatformBackend, ENSEMBLE_PLATFORM } from './backend-autofill.js';
import type { ModelConfig } from './model-config.js';
import { stateSpecsOf } from './sequence-states.js';
import { validateEnsembleGraph } from '../ensemble/ensemble-graph.js';

/** Most sequence slots per instance under `oldest` (tensorgate's bound; Triton has none). */
const MAX_CANDIDATE_SEQUENCES = 65536;

export { validateModelIo } from './validate-io.js';

type Obj = Record<string, unknown>;

/** Options of {@link validateModelConfig}. */
export interface ValidateConfigOptions {
  /** GPU ids present on this host. */
  availableGpus: readonly number[];
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * Validates everything but inputs and outputs (see `validateModelIo`).
 *
 * @throws InferenceError INVALID_ARG with Triton's wording
 * @example
 * ```ts
 * validateModelConfig(config, { availableGpus: [] });
 * ```
 */
export function validateModelConfig(config: ModelConfig, options: ValidateConfigOptions): void {
  const name = config.name;
  if (!name) throw invalidArg("model configuration must specify 'name'");
  checkPlatformBackend(name, config.platform, config.backend);
  const maxBatch = config.max_batch_size;
  if (!Number.isInteger(maxBatch) || maxBatch < 0) {
    throw invalidArg(`'max_batch_size' must be non-negative value for ${name}`);
  }
  checkVersionPolicy(config);
  const db = config.dynamic_batching;
  if (db) {
    for (const size of db.preferred_batch_size) {
      if (size <= 0) throw invalidArg(`dynamic batching preferred size must be positive for ${name}`);
      if (size > maxBatch) throw invalidArg(`dynamic batching preferred size must be <= max batch size for ${name}`);
    }
    const levels = db.priority_levels;
    if (levels !== 0) {
      if (db.default_priority_level === 0 || db.default_priority_level > levels) {
        throw invalidArg(`default priority level must be in range [1, ${levels}] for ${name}`);
      }
      for (const key of Object.keys(db.priority_queue_policy)) {
        const level = Number(key);
        if (level === 0 || level > levels) {
          throw invalidArg(`priority queue policy must have priority level in range [1, ${levels}] for ${name}`);
        }
      }
    }
    if (db.preserve_ordering) {
      if (levels > 1)
        throw invalidArg(`Only one priority level is allowed when 'preserve_ordering' is true for ${name}`);
      const policies = [db.default_queue_policy, ...Object.values(db.priority_queue_policy)];
      for (const p of policies) {
        if (p && p.default_timeout_microseconds !== 0 && p.timeout_action === 'DELAY') {
          throw invalidArg(
            `Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for ${name}`,
          );
        }
      }
    }
  }
  // Implicit states (sequence_batching.state): Triton's rules, checked at load for every backend.
  stateSpecsOf(config);
  const cacheOn = (config['response_cache'] as { enable?: boolean } | undefined)?.enable === true;
  if (config.sequence_batching) checkSequenceBatching(config.sequence_batching, name, maxBatch, cacheOn);
  if (config.ensemble_scheduling) checkEnsemble(config);
  else if (config.platform === ENSEMBLE_PLATFORM) {
    throw invalidArg(`ensemble scheduling must be set for ensemble ${name} whose platform is ${ENSEMBLE_PLATFORM}`);
  }
  if (config.model_transaction_policy.decoupled && cacheOn) {
    throw invalidArg(
      `Response Cache does not currently support model ${name} with 'decoupled' transaction policy. Please disable the response cache.`,
    );
  }
  if (!config.ensemble_scheduling) checkInstanceGroups(config, options.availableGpus);
}

function checkVersionPolicy(config: ModelConfig): void {
  const vp = config.version_policy as Obj;
  const set = ['latest', 'all', 'specific'].filter((k) => vp[k] !== undefined);
  if (set.length !== 1) {
    throw invalidArg(`'version_policy' must set exactly one of 'latest', 'all' or 'specific' for ${config.name}`);
  }
  for (const v of config.version_policy.specific?.versions ?? []) {
    if (!Number.isInteger(v) || v <= 0) {
      throw invalidArg(`'version_policy' specific versions must be positive integers, got ${v} for ${config.name}`);
    }
  }
}

const CORRID_TYPES = new Set(['TYPE_UINT64', 'TYPE_INT64', 'TYPE_UINT32', 'TYPE_INT32', 'TYPE_STRING']);

function checkSequenceBatching(sb: Obj, name: string, maxBatch: number, cacheOn: boolean): void {
  if (cacheOn) {
    throw invalidArg(
      `Response Cache does not currently support model ${name} with sequence batching scheduler. Please disable the response cache.`,
    );
  }
  const tensors = new Set<string>();
  const kinds = new Set<string>();
  for (const ci of list(sb['control_input']) as Obj[]) {
    const tensor = ci['name'];
    if (typeof tensor !== 'string' || tensor === '') {
      throw invalidArg(`sequence batching control tensor must have a name for ${name}`);
    }
    if (tensors.has(tensor)) {
      throw invalidArg(
        `sequence batching control tensor '${tensor}' is specified for multiple control kinds for ${name}`,
      );
    }
    tensors.add(tensor);
    for (const c of list(ci['control']) as Obj[]) {
      const kind = (c['kind'] as string | undefined) ?? 'CONTROL_SEQUENCE_START';
      if (kinds.has(kind)) throw invalidArg(`sequence batching specifies multiple ${kind} tensors for ${name}`);
      kinds.add(kind);
      const given = ['int32_false_true', 'fp32_false_true', 'bool_false_true'].filter((k) => list(c[k]).length > 0);
      if (kind === 'CONTROL_SEQUENCE_CORRID') {
        if (given.length > 0) {
          throw invalidArg(
            `sequence batching must not specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${name}`,
          );
        }
        if (!CORRID_TYPES.has((c['data_type'] as string | undefined) ?? 'TYPE_INVALID')) {
          throw invalidArg(
            `unexpected data type for control ${kind} for ${name}. Allowed data types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 and TYPE_STRING`,
          );
        }
        continue;
      }
      if (given.length === 0) {
        throw invalidArg(
          `sequence batching must specify either 'int32_false_true', 'fp32_false_true' or 'bool_false_true' for ${kind} for ${name}`,
        );
      }
      if (given.length > 1) {
        throw invalidArg(
          `sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' and 'bool_false_true' for ${kind} for ${name}`,
        );
      }
      const field = given[0] as string;
      if (list(c[field]).length !== 2) {
        throw invalidArg(`sequence batching control '${field}' must have exactly 2 entries for ${kind} for ${name}`);
      }
    }
  }
  const oldest = sb['oldest'] as Obj | undefined;
  const candidates = num(oldest?.['max_candidate_sequences']);
  if (candidates < 0 || candidates > MAX_CANDIDATE_SEQUENCES) {
    // tensorgate's bound: every candidate is a sequence slot kept per instance.
    throw invalidArg(
      `sequence batching max_candidate_sequences must be between 0 and ${MAX_CANDIDATE_SEQUENCES} for ${name}, got ${candidates}`,
    );
  }
  for (const size of list(oldest?.['preferred_batch_size']) as number[]) {
    if (size <= 0) throw invalidArg(`sequence batching preferred batch size must be positive for ${name}`);
    if (size > maxBatch)
      throw invalidArg(`sequence batching preferred batch size must be <= max batch size for ${name}`);
  }
  const direct = sb['direct'] as Obj | undefined;
  const util = num(direct?.['minimum_slot_utilization']);
  if (util < 0 || util > 1) {
    throw invalidArg(`sequence batching minimum slot utilization must be in range (0.0, 1.0] for ${name}`);
  }
}

function checkEnsemble(config: ModelConfig): void {
  const name = config.name;
  if (config.platform !== ENSEMBLE_PLATFORM) {
    throw invalidArg(
      `ensemble scheduling cannot be set for model '${name}' whose platform is not ${ENSEMBLE_PLATFORM}`,
    );
  }
  if (config.instance_group.length !== 0) {
    throw invalidArg(`instance group should not be specified for ensemble '${name}'`);
  }
  if (config['optimization'] !== undefined) {
    throw invalidArg(`optimization should not be specified for ensemble '${name}'`);
  }
  if (config.model_warmup.length !== 0) throw invalidArg(`model_warmup can not be specified for ensemble '${name}'`);
  validateEnsembleGraph(config);
}

function checkInstanceGroups(config: ModelConfig, gpus: readonly number[]): void {
  const name = config.name;
  if (config.instance_group.length === 0) {
    throw invalidArg(`must specify one or more 'instance group's for ${name}`);
  }
  for (const g of config.instance_group) {
    const prefix = `instance group ${g.name} of model ${name}`;
    if (!Number.isInteger(g.count) || g.count < 1) throw invalidArg(`${prefix} must have a positive 'count'`);
    if (g.kind === 'KIND_MODEL' || g.kind === 'KIND_CPU') {
      if (g.gpus.length > 0) throw invalidArg(`${prefix} has kind ${g.kind} but specifies one or more GPUs`);
    } else if (g.kind === 'KIND_GPU') {
      if (gpus.length === 0) throw invalidArg(`${prefix} has kind KIND_GPU but no GPUs are available`);
      if (g.gpus.length === 0) throw invalidArg(`${prefix} has kind KIND_GPU but specifies no GPUs`);
      for (const id of g.gpus) {
        if (!gpus.includes(id)) {
          throw invalidArg(
            `${prefix} specifies invalid or unsupported gpu id ${id}. Available GPUs are: ${gpus.join(', ')}`,
          );
        }
      }
    } else {
      throw invalidArg(`${prefix} has unexpected kind ${String(g.kind)}`);
    }
    if (list(g['profile']).length > 0 && config.platform !== 'tensorrt_plan') {
      throw invalidArg(
        `${prefix} and platform ${config.platform} specifies profile field which is only supported for TensorRT models`,
      );
    }
  }
}
