/**
 * The `js` backend: serves models written in JavaScript (an ES module exporting a class, see
 * model-api.ts and docs/js-backend.md), one worker thread per instance of the config's
 * `instance_group`. The counterpart of Triton's Python backend.
 */
import { join } from 'node:path';
import type { Backend, BackendModel, BackendModelContext } from '../../backend-api/backend.js';
import { resolveConfinedPath } from '../../backend-api/confined-path.js';
import type { InstanceGroupConfig } from '../../core/config/model-config.js';
import { invalidArg } from '../../core/errors.js';
import { startJsInstances, type JsWorkerOptions } from './start-js-instances.js';

/** File names tried, in order, when the config has no `default_model_filename`. */
export const DEFAULT_MODEL_FILES: readonly string[] = ['model.js', 'model.mjs'];

/** Options of {@link createJsBackend}; the defaults suit production. */
export type JsBackendOptions = JsWorkerOptions;

/**
 * Finds the model file of a version directory: its real path, which must lie inside the model
 * folder (checked before anything is imported, so a config cannot make the server run code from
 * elsewhere on the host).
 */
async function resolveModelFile(ctx: BackendModelContext): Promise<string> {
  const configured = ctx.config.default_model_filename;
  const candidates = configured ? [configured] : DEFAULT_MODEL_FILES;
  for (const name of candidates) {
    const file = await resolveConfinedPath(name, {
      modelPath: ctx.modelPath,
      base: ctx.versionPath,
      field: configured ? 'default_model_filename' : 'model file',
      owner: `model '${ctx.name}' version ${ctx.version}`,
    });
    if (file.kind === 'file') return file.path;
    if (file.kind !== 'missing') {
      throw invalidArg(`failed to load model '${ctx.name}' version ${ctx.version}: ${file.path} is not a regular file`);
    }
  }
  const expected = candidates.map((n) => join(ctx.versionPath, n)).join(' or ');
  throw invalidArg(`failed to load model '${ctx.name}' version ${ctx.version}: no model file, expected ${expected}`);
}

/**
 * Instance names as Triton gives them (core backend_model.cc): `<group>_<index>` for every instance,
 * so a model without `instance_group` (one group named after the model) has `countdown_0`, and an
 * unnamed first group (`countdown_0`) has `countdown_0_0`, `countdown_0_1`, ...
 */
function instanceNames(modelName: string, groups: readonly InstanceGroupConfig[]): string[] {
  const effective =
    groups.length > 0 ? groups : [{ name: modelName, kind: 'KIND_CPU', count: 1, gpus: [] } as InstanceGroupConfig];
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
    for (let c = 0; c < count; c++) names.push(`${group}_${c}`);
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
    // Model code reads the config (initialize's model_config), so any parameter key is the model's
    // own; the backend itself reads execution_timeout_ms and memory_limit_mb (instance-limits.ts).
    // Requests of different shapes may share an execute call: each keeps its own tensors.
    configSupport: { fields: ['input.allow_ragged_batch', 'sequence_batching.state'], parameters: 'any' },
    async loadModel(ctx: BackendModelContext): Promise<BackendModel> {
      const names = instanceNames(ctx.name, ctx.config.instance_group);
      const modelFile = await resolveModelFile(ctx);
      const model = await startJsInstances(
        ctx,
        modelFile,
        names.map((name) => ({ name, kind: 'CPU', deviceId: 0 })),
        options,
      );
      const decoupled = ctx.config.model_transaction_policy?.decoupled === true;
      ctx.logger.info({ instances: names, file: modelFile, decoupled }, 'js model loaded');
      return model;
    },
  };
}
