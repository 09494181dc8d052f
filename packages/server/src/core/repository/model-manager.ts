/**
 * The model registry and its control modes. It owns which model versions are loaded and serving,
 * their states (LOADING / READY / UNLOADING / UNAVAILABLE with a reason), loading and unloading
 * (explicit mode), and repository polling (poll mode). A model that fails to load never takes the
 * server down: it is reported UNAVAILABLE with the reason, and the versions that were serving keep
 * serving (still READY, their index reason saying the last load failed and why). A replaced
 * version finishes its in-flight requests before it is unloaded.
 *
 * Readiness ({@link ModelManager.allReady}, for `--strict-readiness`): a model counts as ready
 * while it has a serving version, whatever became of a newer load; a model without one holds the
 * server back only if it was one the server started with (Triton's rule at startup). A model first
 * loaded later (a new folder in poll mode, an explicit load) that fails is visible in the index and
 * its own readiness, but does not take the whole server (every replica) out of service.
 *
 * Ensembles are served by the ensemble backend the manager adds to the configured ones; their
 * composing models load first, and unloading one takes its ensembles down
 * (`core/ensemble/ensemble-dependencies.ts`).
 */
import type { Logger } from 'pino';
import type { Backend, BackendModel, ModelCaller } from '../../backend-api/backend.js';
import type { Clock } from '../clock.js';
import type { ModelConfig } from '../config/model-config.js';
import { InferenceError, invalidArg, notFound, unavailable } from '../errors.js';
import type { InferenceObserver } from '../observer.js';
import type { RepositoryIndexEntry } from '../protocol-shapes.js';
import { ServingVersion } from '../serving-version.js';
import { loadOutputLabels, type OutputLabels } from '../classification.js';
import type { ModelRepository } from './model-repository.js';
import { selectVersions } from './version-policy.js';
import { resolveModelConfig } from './resolve-config.js';
import { buildWarmupSamples, warmUp, type WarmupSample } from './model-warmup.js';
import { RepositoryPoller, type PollTarget } from './repository-poller.js';
import { indexRows, newModelEntry, type ModelEntry } from './model-entry.js';
import { createEnsembleBackend } from '../ensemble/ensemble-backend.js';
import { EnsembleDependencies } from '../ensemble/ensemble-dependencies.js';
import { isEnsembleConfig } from '../ensemble/ensemble-steps.js';
import { limitedInstances } from '../scheduling/rate-limit-instances.js';
import type { RateLimiter, RegisteredVersion } from '../scheduling/rate-limiter.js';
import { loadStateSpecs, type LoadedStateSpec } from '../scheduling/sequence/state-config.js';

export { RELOAD_FAILED_REASON } from './model-entry.js';

/** How models get loaded: Triton's `--model-control-mode`. */
export type ControlMode = 'none' | 'poll' | 'explicit';

/** Construction options of a {@link ModelManager}. */
export interface ModelManagerOptions {
  repository: ModelRepository;
  controlMode: ControlMode;
  /** Models to load at start in explicit mode (`*` = all). */
  startupModels: readonly string[];
  /** Poll interval in poll mode. */
  pollSecs: number;
  /** Fill missing config from model files when the backend can. */
  autoComplete: boolean;
  /** CUDA device ids of this host (`core/gpu-detect.ts`); none when absent. */
  gpus?: readonly number[];
  backends: readonly Backend[];
  logger: Logger;
  clock: Clock;
  observer: InferenceObserver;
  /** What loaded models may call other models through (BLS); handed to backends as is. */
  models?: ModelCaller;
  /** Read `configs/<name>.pbtxt` instead of config.pbtxt where it exists (Triton's `--model-config-name`). */
  configName?: string | undefined;
  /** Start-up models loaded at once (Triton's `--model-load-thread-count`; default 1). */
  loadThreadCount?: number;
  /** Extra attempts after a load fails (Triton's `--model-load-retry-count`; default 0). */
  loadRetryCount?: number;
  /** A start-up model that fails to load makes {@link ModelManager.start} throw (Triton's `--exit-on-error`). */
  exitOnError?: boolean;
  /** The server's rate limiter (`--rate-limit execution_count`); none: instances run work at once. */
  rateLimiter?: RateLimiter;
  /** Sequences that may wait for a slot of a sequence-batched model version (`--max-sequence-backlog`). */
  maxSequenceBacklog?: number;
  /** Most bytes of implicit state per sequence (`--max-sequence-state-bytes`). */
  maxSequenceStateBytes?: number;
}

/** How a model is loaded (see {@link ModelManager.load}). */
interface LoadRequest {
  readonly configJson?: string | undefined;
  readonly startup: boolean;
  /** The ensembles loading it as their dependency (outermost first); empty otherwise. */
  readonly via: readonly string[];
  /** Asked for on its own (a load request, startup, poll), not only along with an ensemble. */
  readonly explicit: boolean;
}

/** How a model is unloaded. */
interface UnloadRequest {
  readonly unloadDependents: boolean;
  /** Unloaded on request; false: taken down for a dependency, showing `reason`. */
  readonly forGood: boolean;
  readonly reason?: string;
}

/**
 * @example
 * ```ts
 * const manager = new ModelManager({ repository, controlMode: 'none', ... });
 * await manager.start();
 * const version = manager.resolve('simple', '');
 * ```
 */
export class ModelManager implements PollTarget {
  private readonly entries = new Map<string, ModelEntry>();
  private poller: RepositoryPoller | undefined;
  private stopped = false;
  /** The configured backends plus the ensemble backend. */
  private readonly backends: readonly Backend[];
  private readonly ensembles: EnsembleDependencies;
  /** Start-up loads in flight (several at once with `loadThreadCount`), shared with ensembles. */
  private readonly startupLoads = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: ModelManagerOptions) {
    const models = opts.models;
    const ensembleBackend = createEnsembleBackend({
      infer: models ? (request, ctx) => models.infer(request, ctx) : undefined,
      configOf: (name) => this.servingConfig(name),
    });
    this.backends = [...opts.backends, ensembleBackend];
    this.ensembles = new EnsembleDependencies(
      {
        servingConfig: (name) => this.servingConfig(name),
        servingVersions: (name) => [...(this.entries.get(name)?.serving.keys() ?? [])],
        hasModel: (name) => opts.repository.hasModel(name),
        load: async (name, load) => {
          // The model's own start-up load is in flight: share it rather than load it twice.
          const pending = this.startupLoads.get(name);
          if (pending !== undefined) {
            await pending;
            if ((this.entries.get(name)?.serving.size ?? 0) > 0) return;
          }
          await this.loadWith(name, load);
        },
        takeDown: (name, reason) => this.unloadWith(name, { unloadDependents: false, forGood: false, reason }),
        unload: (name, unloadDependents) => this.unloadWith(name, { unloadDependents, forGood: true }),
      },
      opts.logger,
    );
  }

  /** The control mode in force. */
  get controlMode(): ControlMode {
    return this.opts.controlMode;
  }

  /**
   * Loads the startup models, `loadThreadCount` at a time, and, in poll mode, starts polling. With
   * `exitOnError`, once every start-up model was tried, throws if any failed (naming each).
   */
  async start(): Promise<void> {
    const { controlMode, startupModels, repository } = this.opts;
    let names: string[];
    if (controlMode === 'explicit') {
      names = startupModels.includes('*') ? await repository.listModels() : [...new Set(startupModels)];
    } else {
      names = await repository.listModels();
    }
    const failures: string[] = [];
    const queue = [...names];
    const loadNext = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        // Already loaded as an ensemble's composing model (which loads first).
        if (this.entries.get(name)?.fingerprint) {
          this.ensembles.markExplicit(name);
          continue;
        }
        const loading = this.loadQuietly(name, true);
        this.startupLoads.set(name, loading);
        const failure = await loading;
        this.startupLoads.delete(name);
        if (failure !== undefined) failures.push(`'${name}': ${failure}`);
      }
    };
    const threads = Math.max(1, Math.min(this.opts.loadThreadCount ?? 1, names.length));
    await Promise.all(Array.from({ length: threads }, loadNext));
    if (this.opts.exitOnError === true && failures.length > 0) {
      throw unavailable(
        `failed to load ${failures.length > 1 ? 'models' : 'model'} at start-up: ${failures.join('; ')}`,
      );
    }
    if (controlMode === 'poll') {
      this.poller = new RepositoryPoller(repository, this, this.opts.logger);
      this.poller.start(this.opts.pollSecs);
    }
  }

  /** Stops polling and unloads everything, letting in-flight requests finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.poller?.stop();
    await Promise.all([...this.entries.keys()].map((n) => this.unload(n).catch(() => {})));
  }

  /** Rescans the repository once now (poll mode); resolves when the scan is over. */
  poll(): Promise<void> {
    return this.poller?.pollOnce() ?? Promise.resolve();
  }

  knownModels(): string[] {
    return [...this.entries.keys()];
  }

  loadedFingerprint(name: string): string | undefined {
    return this.entries.get(name)?.fingerprint;
  }

  async forget(name: string): Promise<void> {
    await this.unloadWith(name, { unloadDependents: false, forGood: true }).catch((e: unknown) =>
      this.opts.logger.warn({ err: e, model: name }, 'unload failed'),
    );
    this.entries.delete(name);
  }

  /**
   * Loads a model, logging (not throwing) a failure; the failure stays visible in the index.
   * `startup`: the server starts with this model, so strict readiness waits for it.
   */
  async loadQuietly(name: string, startup = false): Promise<string | undefined> {
    try {
      await this.load(name, undefined, startup);
      return undefined;
    } catch (e) {
      this.opts.logger.error({ model: name, reason: (e as Error).message }, 'failed to load model');
      return (e as Error).message;
    }
  }

  private entry(name: string): ModelEntry {
    let e = this.entries.get(name);
    if (!e) {
      e = newModelEntry(name);
      this.entries.set(name, e);
    }
    return e;
  }

  private exclusive<T>(entry: ModelEntry, fn: () => Promise<T>): Promise<T> {
    const run = entry.lock.then(fn, fn);
    entry.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Loads (or reloads) a model from the repository, or from `configJson` (a JSON ModelConfig)
   * instead of its config.pbtxt. New versions start before old ones stop; on failure the old
   * versions keep serving and the error is thrown and recorded as the model's reason.
   * `startup`: one of the models the server starts with (see {@link allReady}).
   */
  async load(name: string, configJson?: string, startup = false): Promise<void> {
    const retries = this.opts.loadRetryCount ?? 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.loadWith(name, { configJson, startup, via: [], explicit: true });
        return;
      } catch (e) {
        // A model missing from the repository, or a server stopping, does not get better by trying again.
        if (attempt >= retries || this.stopped || (e instanceof InferenceError && e.code === 'NOT_FOUND')) throw e;
        this.opts.logger.warn(
          { model: name, attempt: attempt + 1, retries, reason: (e as Error).message },
          'model failed to load; trying again',
        );
      }
    }
  }

  private async loadWith(name: string, request: LoadRequest): Promise<void> {
    const { configJson, startup } = request;
    const { repository } = this.opts;
    const modelPath = repository.modelPath(name);
    if (!(await repository.hasModel(name))) {
      throw notFound(`failed to load '${name}', failed to poll from model repository`);
    }
    const entry = this.entry(name);
    if (startup) entry.requiredAtStartup = true;
    if (request.explicit) this.ensembles.markExplicit(name);
    await this.exclusive(entry, async () => {
      // stop() unloads only what is loaded or queued when it runs: a load that gets here later
      // would start workers nobody stops.
      if (this.stopped) throw unavailable(`failed to load '${name}': the server is stopping`);
      entry.fingerprint = await repository.fingerprint(name);
      let config: ModelConfig;
      let backend: Backend;
      let versions: number[];
      let labels: OutputLabels;
      let warmupSamples: WarmupSample[];
      let stateSpecs: LoadedStateSpec[];
      try {
        ({ config, backend } = await resolveModelConfig({
          name,
          modelPath,
          repositoryPath: repository.root,
          configJson,
          configName: this.opts.configName,
          backends: this.backends,
          autoComplete: this.opts.autoComplete,
          ...(this.opts.gpus ? { gpus: this.opts.gpus } : {}),
          logger: this.opts.logger,
        }));
        if (isEnsembleConfig(config)) config = await this.ensembles.prepare(name, config, request);
        versions = selectVersions(await repository.listVersions(name), config.version_policy);
        if (versions.length === 0) {
          throw invalidArg(`at least one version must be available under the version policy of model '${name}'`);
        }
        labels = await loadOutputLabels(modelPath, config);
        warmupSamples = await buildWarmupSamples(config, modelPath);
        stateSpecs = await loadStateSpecs(config, modelPath);
      } catch (e) {
        const err = InferenceError.from(e);
        entry.failure = err.message;
        throw err;
      }
      const fresh = new Map<number, ServingVersion>();
      // A version that is serving stays READY while its replacement loads (its requests go on).
      for (const v of versions) if (!entry.serving.has(v)) entry.status.set(v, { state: 'LOADING', reason: '' });
      try {
        for (const v of versions) {
          const model: BackendModel = await backend.loadModel({
            name,
            version: v,
            config,
            modelPath,
            versionPath: `${modelPath}/${v}`,
            repositoryPath: repository.root,
            logger: this.opts.logger.child({ model: name, version: v }),
            reportRestart: (instance, reason) =>
              this.opts.observer.onInstanceRestart?.({ model: name, version: String(v), instance, reason }),
            ...(this.opts.models ? { models: this.opts.models } : {}),
          });
          const gate = await this.limit(name, config, model);
          fresh.set(
            v,
            new ServingVersion(name, v, config, model, this.opts.clock, this.opts.observer, labels, gate, {
              ...(this.opts.maxSequenceBacklog !== undefined && { maxSequenceBacklog: this.opts.maxSequenceBacklog }),
              stateSpecs,
              ...(this.opts.maxSequenceStateBytes !== undefined && {
                maxSequenceStateBytes: this.opts.maxSequenceStateBytes,
              }),
            }),
          );
          await warmUp(
            model,
            config,
            warmupSamples,
            stateSpecs.map((s) => ({
              name: s.inputName,
              datatype: s.datatype,
              shape: s.initialShape,
              data: s.initialData,
            })),
          );
        }
      } catch (e) {
        const err = InferenceError.from(e);
        await Promise.all([...fresh.values()].map((s) => s.model.unload().catch(() => {})));
        for (const s of fresh.values()) s.gate?.unregister();
        for (const v of versions) {
          if (!entry.serving.has(v)) entry.status.set(v, { state: 'UNAVAILABLE', reason: err.message });
          else entry.status.set(v, { state: 'READY', reason: '' });
        }
        entry.failure = err.message;
        throw err;
      }
      const old = entry.serving;
      entry.serving = fresh;
      entry.failure = '';
      entry.requiredAtStartup = false;
      if (isEnsembleConfig(config)) this.ensembles.loaded(name, config, configJson);
      for (const v of versions) {
        entry.status.set(v, { state: 'READY', reason: '' });
        this.opts.observer.onVersionReady?.(name, String(v), fresh.get(v)?.info);
      }
      this.opts.logger.info({ model: name, versions }, 'model ready');
      await Promise.all(
        [...old.entries()].map(async ([v, s]) => {
          const replaced = fresh.has(v);
          s.state = 'UNLOADING';
          if (!replaced) entry.status.set(v, { state: 'UNLOADING', reason: '' });
          await this.retire(s);
          if (!replaced) {
            entry.status.set(v, { state: 'UNAVAILABLE', reason: 'unloaded' });
            this.opts.observer.onVersionUnloaded?.(name, String(v));
          }
        }),
      );
    });
    if (!this.stopped) await this.ensembles.afterLoad(name, request.via);
  }

  private async retire(s: ServingVersion): Promise<void> {
    const unloading = unavailable(`model '${s.name}' version ${s.version} is unloading`);
    // A scheduler that holds work no new request can finish (sequences waiting for a slot) ends it.
    s.scheduler.retire?.(unloading);
    await s.drain();
    s.scheduler.close(unloading);
    await s.model.unload().catch((e: unknown) => this.opts.logger.warn({ err: e, model: s.name }, 'unload failed'));
    s.gate?.unregister();
    s.state = 'UNAVAILABLE';
  }

  /**
   * Registers a loaded version's instances with the rate limiter (none for ensembles, which
   * Triton's limiter does not schedule either); a version the resources cannot serve is unloaded
   * and its load fails with Triton's message.
   */
  private async limit(name: string, config: ModelConfig, model: BackendModel): Promise<RegisteredVersion | undefined> {
    const limiter = this.opts.rateLimiter;
    if (!limiter || isEnsembleConfig(config)) return undefined;
    try {
      return limiter.register(name, limitedInstances(config, model.instances));
    } catch (e) {
      await model.unload().catch(() => {});
      throw e;
    }
  }

  /**
   * Unloads every version of a model after its in-flight requests finish. The ensembles using it
   * are taken down first (unloaded for good with `unloadDependents`, which also unloads an
   * ensemble's composing models that were loaded only along with it).
   */
  async unload(name: string, options: { unloadDependents?: boolean } = {}): Promise<void> {
    await this.unloadWith(name, { unloadDependents: options.unloadDependents === true, forGood: true });
  }

  private async unloadWith(name: string, request: UnloadRequest): Promise<void> {
    this.opts.repository.modelPath(name);
    const entry = this.entries.get(name);
    if (!entry) return;
    if (!this.stopped) await this.ensembles.beforeUnload(name, request.unloadDependents);
    await this.exclusive(entry, async () => {
      const old = entry.serving;
      entry.serving = new Map();
      // Unloaded on purpose: neither an older failure nor startup readiness concern it any more.
      // Taken down for a dependency: the reason shows in the index and in request errors.
      entry.failure = request.reason ?? '';
      entry.requiredAtStartup = false;
      for (const [v, s] of old) {
        s.state = 'UNLOADING';
        entry.status.set(v, { state: 'UNLOADING', reason: '' });
      }
      await Promise.all(
        [...old.entries()].map(async ([v, s]) => {
          await this.retire(s);
          entry.status.set(v, { state: 'UNAVAILABLE', reason: 'unloaded' });
          if (!entry.serving.has(v)) this.opts.observer.onVersionUnloaded?.(name, String(v));
        }),
      );
    });
    if (!this.stopped) await this.ensembles.afterUnload(name, request.forGood, request.unloadDependents);
  }

  /** The config of a model's serving versions (all share one), or undefined when none serves. */
  servingConfig(name: string): ModelConfig | undefined {
    const serving = this.entries.get(name)?.serving;
    if (!serving) return undefined;
    for (const s of serving.values()) return s.config;
    return undefined;
  }

  /** The serving version for a request; '' picks the highest ready version. */
  resolve(name: string, version: string): ServingVersion {
    const entry = this.entries.get(name);
    if (version !== '' && !/^[0-9]+$/.test(version)) {
      throw invalidArg(
        `invalid model version ${JSON.stringify(version)} for model '${name}': expected a positive integer`,
      );
    }
    if (!entry || (entry.serving.size === 0 && entry.status.size === 0 && !entry.failure)) {
      throw notFound(`Request for unknown model: '${name}' is not found`);
    }
    if (version === '') {
      let best: ServingVersion | undefined;
      for (const s of entry.serving.values()) if (!best || s.version > best.version) best = s;
      if (!best) {
        const why = entry.failure || [...entry.status.values()].map((s) => s.reason).find((r) => r) || 'not loaded';
        throw unavailable(`Request for unknown model: '${name}' has no available versions: ${why}`);
      }
      return best;
    }
    const s = entry.serving.get(Number(version));
    if (!s) {
      const st = entry.status.get(Number(version));
      if (st)
        throw unavailable(
          `Request for unknown model: '${name}' version ${version} is not at ready state (${st.state}${st.reason ? `: ${st.reason}` : ''})`,
        );
      throw notFound(`Request for unknown model: '${name}' version ${version} is not found`);
    }
    return s;
  }

  /** Serving versions of a model, ascending ('' name = every model). */
  servingVersions(name?: string): ServingVersion[] {
    const out: ServingVersion[] = [];
    for (const e of this.entries.values()) {
      if (name && e.name !== name) continue;
      out.push(...[...e.serving.values()].sort((a, b) => a.version - b.version));
    }
    return out;
  }

  /**
   * Strict readiness: true when every model has a serving version, except models first loaded
   * after startup that never served (see the file comment). A failed reload of a serving model
   * keeps it ready: its previous version still answers every request.
   */
  allReady(): boolean {
    for (const e of this.entries.values()) {
      if (e.serving.size === 0 && e.requiredAtStartup) return false;
    }
    return true;
  }

  /** The repository index: every model folder plus every model known to the registry. */
  async index(readyOnly: boolean): Promise<RepositoryIndexEntry[]> {
    const names = new Set([...(await this.opts.repository.listModels()), ...this.entries.keys()]);
    return [...names].sort().flatMap((name) => indexRows(name, this.entries.get(name), readyOnly));
  }
}
