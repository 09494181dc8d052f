/**
 * Produces the complete config of a model about to load: config.pbtxt (or a JSON override from
 * the load API), the backend that serves it, the backend's auto-complete, then normalization and
 * validation.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Backend } from '../../backend-api/backend.js';
import { autofillBackendFields, configFromJson, normalizeConfig, readModelConfig } from '../config/index.js';
import type { ModelConfig } from '../config/model-config.js';
import { invalidArg } from '../errors.js';

/** Inputs of {@link resolveModelConfig}. */
export interface ResolveConfigOptions {
  name: string;
  modelPath: string;
  repositoryPath: string;
  /** A JSON ModelConfig replacing config.pbtxt (load API `config` parameter). */
  configJson: string | undefined;
  backends: readonly Backend[];
  autoComplete: boolean;
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
    raw = configFromJson(opts.configJson, name) as unknown as Record<string, unknown>;
  } else {
    raw = (await readModelConfig(modelPath, name)) as Record<string, unknown> | undefined;
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
  return { config: normalizeConfig(raw, { modelName: name }), backend };
}
