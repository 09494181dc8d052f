/**
 * The `js` backend: serves models written in JavaScript (an ES module exporting a class, see
 * model-api.ts and docs/js-backend.md), one worker thread per instance of the config's
 * `instance_group`. The counterpart of Triton's Python backend.
 */
import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Backend, BackendModel, BackendModelContext } from '../../backend-api/backend.js';
import type { InstanceGroupConfig } from '../../core/config/model-config.js';
import { InferenceError, invalidArg } from '../../core/errors.js';
import { JsInstance, type JsInstanceOptions } from './js-instance.js';
import { OutputValidator } from './output-validation.js';
import type { WorkerInit } from './worker-messages.js';

/** File names tried, in order, when the config has no `default_model_filename`. */
export const DEFAULT_MODEL_FILES: readonly string[] = ['model.js', 'model.mjs'];

/** Options of {@link createJsBackend}; the defaults suit production. */
export interface JsBackendOptions {
  /** Restart delay after `n` consecutive crashes of an instance (tests shorten it). */
  readonly restartDelayMs?: (n: number) => number;
  /** How long unload waits for in-flight requests, then for the model's finalize(). */
  readonly drainTimeoutMs?: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Finds the model file of a version directory. */
async function resolveModelFile(ctx: BackendModelContext): Promise<string> {
  const configured = ctx.config.default_model_filename;
  const candidates = configured ? [configured] : DEFAULT_MODEL_FILES;
  for (const name of candidates) {
    const path = isAbsolute(name) ? name : join(ctx.versionPath, name);
    if (await exists(path)) return path;
  }
  const expected = candidates.map((n) => join(ctx.versionPath, n)).join(' or ');
  throw invalidArg(`failed to load model '${ctx.name}' version ${ctx.version}: no model file, expected ${expected}`);
}

/** Instance names as Triton gives them: the group name, suffixed with the index when count > 1. */
function instanceNames(modelName: string, groups: readonly InstanceGroupConfig[]): string[] {
  const effective =
    groups.length > 0 ? groups : [{ name: '', kind: 'KIND_CPU', count: 1, gpus: [] } as InstanceGroupConfig];
  const names: string[] = [];
  effective.forEach((g, gi) => {
    if (g.kind !== 'KIND_CPU' && g.kind !== 'KIND_AUTO') {
      throw invalidArg(
        `failed to load model '${modelName}': instance group '${g.name || gi}' has kind ${g.kind}; ` +
          'the js backend runs on CPU (use KIND_CPU or KIND_AUTO)',
      );
    }
    const group = g.name || `${modelName}_${gi}`;
    const count = Math.max(0, g.count);
    for (let c = 0; c < count; c++) names.push(count > 1 ? `${group}_${c}` : group);
  });
  return names;
}

/**
 * Creates the js backend, to be registered under `backend: "js"` by the composition root.
 *
 * @example
 * ```ts
 * const backend = createJsBackend();
 * const model = await backend.loadModel(ctx); // starts one worker per instance
 * await model.instances[0]!.execute(batch);
 * await model.unload();                        // finalize() and stop the workers
 * ```
 */
export function createJsBackend(options: JsBackendOptions = {}): Backend {
  return {
    name: 'js',
    async loadModel(ctx: BackendModelContext): Promise<BackendModel> {
      const names = instanceNames(ctx.name, ctx.config.instance_group);
      const modelFile = await resolveModelFile(ctx);
      const validator = new OutputValidator(ctx.config);
      const decoupled = ctx.config.model_transaction_policy?.decoupled === true;
      const instances = names.map((name) => {
        const init: WorkerInit = {
          modelFile,
          decoupled,
          args: {
            model_name: ctx.name,
            model_version: String(ctx.version),
            model_config: ctx.config,
            model_repository: ctx.modelPath,
            model_version_path: ctx.versionPath,
            model_instance_name: name,
            model_instance_kind: 'CPU',
            model_instance_device_id: 0,
          },
        };
        const opts: JsInstanceOptions = {
          name,
          init,
          validator,
          logger: ctx.logger,
          ...(options.restartDelayMs ? { restartDelayMs: options.restartDelayMs } : {}),
          ...(options.drainTimeoutMs !== undefined ? { drainTimeoutMs: options.drainTimeoutMs } : {}),
        };
        return new JsInstance(opts);
      });
      const started = await Promise.allSettled(instances.map((i) => i.start()));
      const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) {
        await Promise.allSettled(instances.map((i) => i.stop()));
        throw InferenceError.from(failure.reason);
      }
      ctx.logger.info({ instances: names, file: modelFile, decoupled }, 'js model loaded');
      return {
        instances,
        async unload(): Promise<void> {
          await Promise.all(instances.map((i) => i.stop()));
        },
      };
    },
  };
}
