/**
 * Starts the worker-thread instances of one model version: shared by the js backend (user model
 * files) and the onnxruntime backend (its built-in `ort-model` module), which run on the same
 * worker machinery.
 */
import type { BackendModel, BackendModelContext } from '../../backend-api/backend.js';
import type { Clock } from '../../core/clock.js';
import { InferenceError } from '../../core/errors.js';
import { readInstanceLimits } from './instance-limits.js';
import { JsInstance, type JsInstanceOptions } from './js-instance.js';
import type { MemoryWatch } from './memory-watch.js';
import { OutputValidator } from './output-validation.js';
import type { WorkerInit } from './worker-messages.js';

/** Worker settings of the backends built on {@link JsInstance}; the defaults suit production. */
export interface JsWorkerOptions {
  /** Restart delay after `n` consecutive crashes of an instance (tests shorten it). */
  readonly restartDelayMs?: (n: number) => number;
  /** How long unload waits for in-flight requests, then for the model's finalize(). */
  readonly drainTimeoutMs?: number;
  /** Clock of the execution watchdog and the restart delays (tests inject a manual one). */
  readonly clock?: Clock;
  /** Where memory-capped instances are sampled (default: the process-wide watch). */
  readonly memoryWatch?: MemoryWatch;
}

/** One instance to start: its name and where it runs. */
export interface JsInstancePlacement {
  readonly name: string;
  readonly kind: 'CPU' | 'GPU';
  readonly deviceId: number;
}

/**
 * Starts one worker per placement, each loading `modelFile`, with the limits of the config's
 * `execution_timeout_ms` and `memory_limit_mb` parameters; if any fails to start, stops them all
 * and rejects with its error. The model's unload stops every worker.
 *
 * @example
 * ```ts
 * const model = await startJsInstances(ctx, modelFile, [{ name: 'm_0', kind: 'CPU', deviceId: 0 }], {});
 * ```
 */
export async function startJsInstances(
  ctx: BackendModelContext,
  modelFile: string,
  placements: readonly JsInstancePlacement[],
  options: JsWorkerOptions,
): Promise<BackendModel> {
  const limits = readInstanceLimits(ctx.config);
  const validator = new OutputValidator(ctx.config);
  const decoupled = ctx.config.model_transaction_policy?.decoupled === true;
  const instances = placements.map((p) => {
    const init: WorkerInit = {
      modelFile,
      decoupled,
      args: {
        model_name: ctx.name,
        model_version: String(ctx.version),
        model_config: ctx.config,
        model_repository: ctx.modelPath,
        model_version_path: ctx.versionPath,
        model_instance_name: p.name,
        model_instance_kind: p.kind,
        model_instance_device_id: p.deviceId,
      },
    };
    const opts: JsInstanceOptions = {
      name: p.name,
      init,
      validator,
      logger: ctx.logger,
      limits,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.memoryWatch ? { memoryWatch: options.memoryWatch } : {}),
      ...(ctx.reportRestart ? { onRestart: (reason) => ctx.reportRestart!(p.name, reason) } : {}),
      ...(ctx.models ? { caller: ctx.models } : {}),
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
  return {
    instances,
    async unload(): Promise<void> {
      await Promise.all(instances.map((i) => i.stop()));
    },
  };
}
