/**
 * Produces the complete config of a model about to load: config.pbtxt (or a JSON override from
 * the load API), the backend that serves it, the backend's auto-complete, then normalization and
 * validation, and last the refusal of every field the server or the backend does not implement
 * (`core/config/config-support.ts`).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Backend } from '../../backend-api/backend.js';
import {
  autofillBackendFields,
  checkConfigSupport,
  normalizeConfig,
  parseConfigJson,
  readModelConfig,
} from '../config/index.js';
import type { ModelConfig } from '../config/model-config.js';
import { invalidArg } from '../errors.js';

/** Inputs of {@link resolveModelConfig}. */
export interface ResolveConfigOptions {
  name: string;
  modelPath: string;
  repositoryPath: string;
  /** A JSON ModelConfig replacing config.pbtxt (load API `config` parameter). */
  configJson: string | undefined;
  /** Read `configs/<configName>.pbtxt` instead of config.pbtxt when it exists (`--model-config-name`). */
  configName?: string | undefined;
  backends: readonly Backend[];
  autoComplete: boolean;
  /**
   * CUDA device ids of this host (see `core/gpu-detect.ts`); none when absent. Offered to
   * normalization only for backends that can use them (`Backend.gpuSupport`).
   */
  gpus?: readonly number[];
  logger: Logger;
}

/** Finds the backend named by `backend:` or serving `platform:`. */
export function findBackend(
  backends: readonly Backend[],
  config: { backend?: unknown; platform?: unknown },
): Backend | undefined {
  const b = typeof config.backend === 'string' ? config.backend : '';
  const p = typeof config.platform === 'string' ? config.platform : '';
  return backends.find((x) => (b !== '' && x.name === b) || (p !== '' && (x.platforms ?? []).includes(p)));
}

/**
 * A config that names neither backend nor platform (none at all, when auto-complete is on) gets
 * them from the files of the first version folder, as Triton does: `1/model.onnx` means
 * onnxruntime. Returns `raw` itself when nothing reveals the backend, leaving the error to the caller.
 */
async function inferBackendFromFiles(
  raw: Record<string, unknown>,
  name: string,
  modelPath: string,
): Promise<Record<string, unknown>> {
  try {
    const versions = (await readdir(modelPath, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
      .map((e) => e.name)
      .sort();
    if (versions.length === 0) return raw;
    const versionFiles = await readdir(join(modelPath, versions[0]!));
    const filled: Record<string, unknown> = { ...raw };
    autofillBackendFields(filled, { modelName: name, versionFiles });
    return filled['backend'] ? { ...raw, backend: filled['backend'], platform: filled['platform'] } : raw;
  } catch {
    // Unreadable folder or nothing recognizable: the caller reports the missing backend.
    return raw;
  }
}

/** Whether a raw group asks for GPUs: KIND_GPU, or KIND_AUTO (the default) listing GPUs the host has. */
function asksForGpus(group: Record<string, unknown>, hostGpus: readonly number[]): boolean {
  const kind = group['kind'] ?? 'KIND_AUTO';
  if (kind === 'KIND_GPU') return true;
  const listed = Array.isArray(group['gpus']) ? group['gpus'] : [];
  return kind === 'KIND_AUTO' && listed.length > 0 && hostGpus.length > 0;
}

/**
 * The GPUs normalization may place this model's instances on: the host's when the backend can use
 * them now, else none, so `KIND_AUTO` becomes `KIND_GPU` only where a GPU really works (Triton
 * offers every backend the host's GPUs; here a backend that cannot use them would fail to load).
 * A group that asks for GPUs the backend cannot use fails here, saying why, which helps more than
 * normalization's "no GPUs are available" on a host that has them.
 */
function gpusForBackend(
  raw: Record<string, unknown>,
  name: string,
  backend: Backend,
  hostGpus: readonly number[],
): readonly number[] {
  if (raw['ensemble_scheduling'] !== undefined) return [];
  const groups = Array.isArray(raw['instance_group']) ? (raw['instance_group'] as Record<string, unknown>[]) : [];
  const asking = groups.findIndex((g) => typeof g === 'object' && g !== null && asksForGpus(g, hostGpus));
  if (asking < 0 && hostGpus.length === 0) return [];
  const support = backend.gpuSupport?.();
  if (support?.available) return hostGpus;
  if (asking < 0) return [];
  const group = groups[asking]!;
  const groupName = typeof group['name'] === 'string' && group['name'] ? group['name'] : `${name}_${asking}`;
  const prefix = `instance group ${groupName} of model ${name}`;
  const what = group['kind'] === 'KIND_GPU' ? 'has kind KIND_GPU' : 'has kind KIND_AUTO and lists GPUs';
  if (!backend.gpuSupport) {
    throw invalidArg(`${prefix} ${what}, but the ${backend.name} backend runs models on CPU only; use KIND_CPU`);
  }
  // No GPU on the host: normalization reports it in Triton's words.
  if (hostGpus.length === 0) return [];
  throw invalidArg(
    `${prefix} ${what}, but the ${backend.name} backend cannot use GPUs: ${support?.reason ?? 'unknown reason'}`,
  );
}

/**
 * @example
 * ```ts
 * const { config, backend } = await resolveModelConfig({ name: 'simple', modelPath, ... });
 * ```
 */
export async function resolveModelConfig(
  opts: ResolveConfigOptions,
): Promise<{ config: ModelConfig; backend: Backend }> {
  const { name, modelPath, backends } = opts;
  let raw: Record<string, unknown> | undefined;
  if (opts.configJson !== undefined) {
    raw = parseConfigJson(opts.configJson);
  } else {
    raw = (await readModelConfig(modelPath, name, opts.configName)) as Record<string, unknown> | undefined;
  }
  if (!raw) {
    raw = {};
    if (!opts.autoComplete) {
      throw invalidArg(`model '${name}' has no config.pbtxt and config auto-complete is disabled`);
    }
  }
  if (!raw['backend'] && !raw['platform']) raw = await inferBackendFromFiles(raw, name, modelPath);
  const backend = findBackend(backends, raw);
  if (!backend) {
    const named = raw['backend'] || raw['platform'];
    throw invalidArg(
      named
        ? `model '${name}' asks for backend/platform '${String(named)}', which this server does not provide (available: ${backends.map((b) => b.name).join(', ')})`
        : `model '${name}' names no backend or platform in its config, and none could be inferred from its files`,
    );
  }
  if (opts.autoComplete && backend.autoCompleteConfig) {
    const completed = await backend.autoCompleteConfig({
      name,
      version: 0,
      config: raw as Partial<ModelConfig>,
      modelPath,
      versionPath: modelPath,
      repositoryPath: opts.repositoryPath,
      logger: opts.logger,
    });
    raw = completed as Record<string, unknown>;
  }
  const availableGpus = gpusForBackend(raw, name, backend, opts.gpus ?? []);
  const config = normalizeConfig(raw, { modelName: name, availableGpus });
  checkConfigSupport(config, backend.name, backend.configSupport);
  return { config, backend };
}
