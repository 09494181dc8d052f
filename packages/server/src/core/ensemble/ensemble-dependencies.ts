/**
 * How ensembles and their composing models load and unload together, after Triton's model
 * repository manager (its dependency graph):
 *
 * - Loading an ensemble first loads each composing model that has no serving version (every
 *   control mode: in `none` and `poll` mode this orders the loads; in `explicit` mode it is
 *   Triton's "the dependent models are loaded too"), then checks the ensemble against their
 *   configs. A missing model, a failed one, a required version not loaded and a cycle between
 *   ensembles each fail the load with Triton's message.
 * - Unloading a composing model (or its folder leaving the repository in poll mode) first takes
 *   down the ensembles that use it (their in-flight requests finish while it still serves); they
 *   come back by themselves when it loads again. With `unload_dependents` they are unloaded for good.
 * - Reloading a composing model re-checks the ensembles that use it: one that no longer fits is
 *   taken down with the reason (and comes back once it fits again); one whose decoupled-ness
 *   changed is reloaded.
 * - Unloading an ensemble with `unload_dependents` also unloads the composing models that were
 *   loaded only along with it and that no other ensemble uses.
 *
 * The manager owns the models; this object keeps what it needs to know about ensembles and calls
 * back through {@link DependencyHost}.
 */
import type { Logger } from 'pino';
import type { ModelConfig } from '../config/model-config.js';
import { InferenceError, invalidArg } from '../errors.js';
import { validateComposition } from './ensemble-composition.js';
import { composingModels, ensembleSteps, isEnsembleConfig } from './ensemble-steps.js';

/** How a load was asked for. */
export interface DependencyLoad {
  /** The ensembles (outermost first) loading this model as their dependency; empty otherwise. */
  readonly via: readonly string[];
  /** Part of the server's startup loads (strict readiness waits for it). */
  readonly startup: boolean;
  /** The JSON config override the load used, kept for the ensemble's later reloads. */
  readonly configJson?: string | undefined;
}

/** What {@link EnsembleDependencies} needs of the model manager. */
export interface DependencyHost {
  /** The config of the model's serving versions, or undefined when none serves. */
  servingConfig(name: string): ModelConfig | undefined;
  /** Version numbers serving now. */
  servingVersions(name: string): readonly number[];
  /** Whether the repository has a folder for the model. */
  hasModel(name: string): Promise<boolean>;
  /** Loads (or reloads) a model; `explicit` false: loaded along with an ensemble. */
  load(name: string, load: DependencyLoad & { readonly explicit: boolean }): Promise<void>;
  /** Unloads a model but keeps it known, showing `reason` as why it is unavailable. */
  takeDown(name: string, reason: string): Promise<void>;
  /** Unloads a model for good, as an unload request would. */
  unload(name: string, unloadDependents: boolean): Promise<void>;
}

/** An ensemble that served (or tried to), with what it needs to come back. */
interface Dependent {
  /** Composing model → versions its steps ask for. */
  readonly steps: ReadonlyMap<string, ReadonlySet<number>>;
  readonly configJson: string | undefined;
  /** Taken down (or failed) for a dependency: reloaded when one of its models loads. */
  waiting: boolean;
}

const CIRCULAR = 'circular dependency between ensembles: ';

/**
 * @example
 * ```ts
 * const deps = new EnsembleDependencies(host, logger);
 * config = await deps.prepare('pipeline', config, { via: [], startup: false });
 * ```
 */
export class EnsembleDependencies {
  private readonly dependents = new Map<string, Dependent>();
  /** Models loaded on their own (a load request, startup, poll), not only along with an ensemble. */
  private readonly explicit = new Set<string>();

  constructor(
    private readonly host: DependencyHost,
    private readonly logger: Logger,
  ) {}

  /** `name` was asked for on its own: `unload_dependents` of an ensemble never unloads it. */
  markExplicit(name: string): void {
    this.explicit.add(name);
  }

  /**
   * Readies an ensemble's load: loads its composing models as needed, checks it against them and
   * returns its config with `model_transaction_policy.decoupled` derived from its steps. On
   * failure the ensemble is remembered, so it loads by itself once one of its models does.
   *
   * @throws InferenceError INVALID_ARG with Triton's message
   */
  async prepare(name: string, config: ModelConfig, load: DependencyLoad): Promise<ModelConfig> {
    const steps = ensembleSteps(config);
    const models = composingModels(steps);
    try {
      const chain = [...load.via, name];
      const missing: string[] = [];
      for (const model of models.keys()) {
        const at = chain.indexOf(model);
        if (at >= 0) throw invalidArg(`${CIRCULAR}${model} -> ... -> ${name} -> ${model}`);
        if (this.host.servingVersions(model).length === 0 && !(await this.host.hasModel(model))) missing.push(model);
      }
      if (missing.length > 0) {
        throw invalidArg(`ensemble ${name} contains models that are not available or ambiguous: ${missing.join(', ')}`);
      }
      for (const [model, versions] of models) {
        await this.loadDependency(name, model, chain, load.startup);
        const serving = this.host.servingVersions(model);
        for (const v of versions) {
          if (v !== -1 && !serving.includes(v)) {
            const hint = v === 0 ? ' (model_version -1 selects the latest version)' : '';
            throw invalidArg(
              `ensemble '${name}' depends on '${model}' whose required version ${v} is not loaded${hint}`,
            );
          }
        }
      }
      this.checkNoCycle(name, models.keys());
      const { decoupled } = validateComposition(config, steps, (m) => this.host.servingConfig(m));
      config.model_transaction_policy.decoupled = decoupled;
      if (decoupled && (config['response_cache'] as { enable?: boolean } | undefined)?.enable === true) {
        // As for any decoupled model (validate-config.ts): an ensemble with a decoupled step is one.
        throw invalidArg(
          `Response Cache does not currently support ensemble ${name}: a composing model is decoupled, which makes ` +
            `the ensemble decoupled. Please disable the response cache of the ensemble.`,
        );
      }
      return config;
    } catch (e) {
      // Not serving: wait for the models (a serving ensemble whose reload failed keeps its record).
      if (this.host.servingVersions(name).length === 0) {
        this.dependents.set(name, { steps: models, configJson: load.configJson, waiting: true });
      }
      throw e;
    }
  }

  private async loadDependency(
    ensemble: string,
    model: string,
    chain: readonly string[],
    startup: boolean,
  ): Promise<void> {
    if (this.host.servingVersions(model).length > 0) return;
    try {
      await this.host.load(model, { via: chain, startup, explicit: false });
    } catch (e) {
      const err = InferenceError.from(e);
      if (err.message.startsWith(CIRCULAR)) throw err;
      throw invalidArg(
        `ensemble '${ensemble}' depends on '${model}' which has no loaded version. Model '${model}' loading failed with error: ${err.message}`,
      );
    }
    if (this.host.servingVersions(model).length === 0) {
      throw invalidArg(`ensemble '${ensemble}' depends on '${model}' which has no loaded version.`);
    }
  }

  /** Refuses an ensemble reached again through the serving ensembles it contains. */
  private checkNoCycle(name: string, models: Iterable<string>): void {
    const seen = new Set<string>();
    const stack = [...models].map((m) => ({ model: m, from: name }));
    while (stack.length > 0) {
      const { model, from } = stack.pop()!;
      if (model === name) throw invalidArg(`${CIRCULAR}${name} -> ... -> ${from} -> ${name}`);
      if (seen.has(model)) continue;
      seen.add(model);
      const config = this.host.servingConfig(model);
      if (config && isEnsembleConfig(config)) {
        for (const inner of composingModels(ensembleSteps(config)).keys()) stack.push({ model: inner, from: model });
      }
    }
  }

  /** An ensemble loaded: remember it (and the config override it used) for later reloads. */
  loaded(name: string, config: ModelConfig, configJson: string | undefined): void {
    this.dependents.set(name, { steps: composingModels(ensembleSteps(config)), configJson, waiting: false });
  }

  /**
   * `name` loaded: ensembles waiting for it come back, and serving ones that use it are checked
   * again. Waited for, unless the load was itself part of an ensemble's load (`via`): that
   * ensemble holds its lock, and one of these might need it.
   */
  async afterLoad(name: string, via: readonly string[]): Promise<void> {
    const work: Array<() => Promise<void>> = [];
    for (const [ensemble, d] of this.dependents) {
      if (ensemble === name || via.includes(ensemble) || !d.steps.has(name)) continue;
      work.push(() => this.refresh(ensemble, d));
    }
    if (work.length === 0) return;
    const all = async (): Promise<void> => {
      for (const w of work) await w();
    };
    if (via.length === 0) await all();
    else void all();
  }

  private async refresh(ensemble: string, d: Dependent): Promise<void> {
    try {
      if (d.waiting) {
        await this.host.load(ensemble, { via: [], startup: false, configJson: d.configJson, explicit: false });
        return;
      }
      const config = this.host.servingConfig(ensemble);
      if (!config) return;
      let decoupled: boolean;
      try {
        ({ decoupled } = validateComposition(config, ensembleSteps(config), (m) => this.host.servingConfig(m)));
      } catch (e) {
        d.waiting = true;
        await this.host.takeDown(ensemble, InferenceError.from(e).message);
        return;
      }
      if (decoupled !== config.model_transaction_policy.decoupled) {
        await this.host.load(ensemble, { via: [], startup: false, configJson: d.configJson, explicit: false });
      }
    } catch (e) {
      this.logger.warn({ model: ensemble, reason: InferenceError.from(e).message }, 'ensemble did not come back');
    }
  }

  /**
   * `name` is about to unload: the ensembles using it go first (taken down until it is back, or
   * unloaded for good with `unloadDependents`), so their in-flight requests finish while it serves.
   */
  async beforeUnload(name: string, unloadDependents: boolean): Promise<void> {
    for (const [ensemble, d] of [...this.dependents]) {
      if (ensemble === name || !d.steps.has(name)) continue;
      if (unloadDependents) await this.host.unload(ensemble, true);
      else if (!d.waiting) {
        d.waiting = true;
        await this.host.takeDown(
          ensemble,
          `ensemble ${ensemble} contains models that are not available or ambiguous: ${name}`,
        );
      }
    }
  }

  /**
   * `name` was unloaded. `forGood`: on request (not taken down), so an ensemble is forgotten, and
   * with `unloadDependents` its models loaded only along with it go too.
   */
  async afterUnload(name: string, forGood: boolean, unloadDependents: boolean): Promise<void> {
    if (!forGood) return;
    const d = this.dependents.get(name);
    this.dependents.delete(name);
    this.explicit.delete(name);
    if (!d || !unloadDependents) return;
    for (const model of d.steps.keys()) {
      if (this.explicit.has(model) || this.host.servingVersions(model).length === 0) continue;
      if ([...this.dependents.values()].some((o) => o.steps.has(model))) continue;
      await this.host.unload(model, true);
    }
  }
}
