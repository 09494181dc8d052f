/**
 * Ensembles served through the backend interface, so an ensemble version is a `ServingVersion`
 * like any other: its requests take the same path (validation against the ensemble's config,
 * statistics, metrics, classification of its outputs, decoupled streaming, cancellation), and its
 * one "instance" runs each request's steps through the core (`ensemble-run.ts`).
 *
 * It lives in the core, not in `backends/`, because it runs other models: it needs the core's
 * `infer` (steps go through each composing model's own scheduler) and the configs of the
 * composing models (a plan is built from them at load). The model manager registers it next to
 * the real backends and loads the composing models first (`ensemble-dependencies.ts`).
 */
import type {
  Backend,
  BackendModel,
  BackendModelContext,
  ExecutionRequest,
  ExecutionTimings,
  ModelInstance,
} from '../../backend-api/backend.js';
import { ENSEMBLE_PLATFORM } from '../config/backend-autofill.js';
import type { ModelConfig } from '../config/model-config.js';
import { invalidArg, unavailable } from '../errors.js';
import type { ConfigLookup } from './ensemble-composition.js';
import { EnsemblePlan } from './ensemble-plan.js';
import { runEnsemble, type StepInfer } from './ensemble-run.js';
import { ensembleSteps } from './ensemble-steps.js';

/** What the ensemble backend needs from the server. */
export interface EnsembleBackendOptions {
  /**
   * Runs step requests through the core (the core's `infer`); undefined where the server offers
   * none (a manager built without one, in unit tests): ensembles then fail to load.
   */
  readonly infer: StepInfer | undefined;
  /** The config of a composing model's serving version. */
  readonly configOf: ConfigLookup;
}

/** The name the ensemble backend is registered under (its `platforms` make it serve ensembles). */
export const ENSEMBLE_BACKEND_NAME = 'ensemble';

/**
 * @example
 * ```ts
 * const backends = [...realBackends, createEnsembleBackend({ infer: (r, ctx) => core.infer(r, ctx), configOf })];
 * ```
 */
export function createEnsembleBackend(options: EnsembleBackendOptions): Backend {
  return {
    name: ENSEMBLE_BACKEND_NAME,
    platforms: [ENSEMBLE_PLATFORM],
    loadModel(ctx: BackendModelContext): Promise<BackendModel> {
      const config = ctx.config;
      if (config.platform !== ENSEMBLE_PLATFORM || !config.ensemble_scheduling) {
        return Promise.reject(
          invalidArg(
            `Ensemble model '${ctx.name}' must have platform type '${ENSEMBLE_PLATFORM}' and empty backend type`,
          ),
        );
      }
      const infer = options.infer;
      if (!infer)
        return Promise.reject(unavailable(`ensemble '${ctx.name}' cannot load: this server runs no model calls`));
      const plan = new EnsemblePlan(config, ensembleSteps(config), options.configOf);
      return Promise.resolve(new EnsembleModel(ctx.name, plan, infer));
    },
  };
}

/**
 * Concurrent requests one ensemble runs at once: unbounded, as in Triton (an ensemble has no
 * instances; its steps queue on the composing models, whose own limits apply).
 */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

class EnsembleInstance implements ModelInstance {
  readonly name: string;
  readonly concurrency = UNBOUNDED;

  constructor(
    ensemble: string,
    private readonly plan: EnsemblePlan,
    private readonly infer: StepInfer,
  ) {
    this.name = `${ensemble}_0`;
  }

  execute(batch: readonly ExecutionRequest[]): Promise<ExecutionTimings> {
    if (batch.length === 1) return runEnsemble(this.plan, batch[0]!, this.infer);
    // The default scheduler hands over one request at a time; sum if it ever hands more.
    return Promise.all(batch.map((r) => runEnsemble(this.plan, r, this.infer))).then((all) => ({
      computeInputNs: all.reduce((n, t) => n + t.computeInputNs, 0),
      computeInferNs: all.reduce((n, t) => n + t.computeInferNs, 0),
      computeOutputNs: all.reduce((n, t) => n + t.computeOutputNs, 0),
    }));
  }
}

class EnsembleModel implements BackendModel {
  readonly instances: readonly ModelInstance[];

  constructor(name: string, plan: EnsemblePlan, infer: StepInfer) {
    this.instances = [new EnsembleInstance(name, plan, infer)];
  }

  unload(): Promise<void> {
    // Nothing of its own to stop: the version drained its requests (and so their steps) first.
    return Promise.resolve();
  }
}

/**
 * An ensemble is ready only while every step's model (at the step's version) is: `isReady` is
 * the core's model readiness, so nested ensembles are checked all the way down. True for models
 * that are not ensembles.
 *
 * @example
 * ```ts
 * ready = version.state === 'READY' && ensembleStepsReady(version.config, (m, v) => core.isModelReady(m, v));
 * ```
 */
export function ensembleStepsReady(config: ModelConfig, isReady: (model: string, version: string) => boolean): boolean {
  if (!config.ensemble_scheduling) return true;
  for (const step of ensembleSteps(config)) {
    if (!isReady(step.modelName, step.modelVersion === -1 ? '' : String(step.modelVersion))) return false;
  }
  return true;
}
