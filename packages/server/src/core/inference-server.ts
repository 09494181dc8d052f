/**
 * The core facade: the one implementation of {@link InferenceCore} that every frontend uses.
 * It resolves model versions through the model manager, validates requests, and runs them.
 */
import type { ModelConfig } from './config/model-config.js';
import { InferenceError, unsupported } from './errors.js';
import { cachesResponses, type ResponseCache } from './cache/response-cache.js';
import type { InferenceCore, LoadOptions, UnloadOptions } from './inference-core.js';
import type { InferenceObserver } from './observer.js';
import { ObserverHub } from './observer-hub.js';
import type { ModelMetadata, ModelStatistics, RepositoryIndexEntry, ServerMetadata } from './protocol-shapes.js';
import type { ModelManager } from './repository/model-manager.js';
import { runInference } from './run-inference.js';
import { ensembleStepsReady } from './ensemble/ensemble-backend.js';
import type { InferRequest, InferResponse, RequestContext } from './types.js';
import { validateRequest } from './validate-request.js';

/** The protocol extensions tensorgate implements (reported by `GET /v2` and ServerMetadata). */
export const SERVER_EXTENSIONS: readonly string[] = [
  'classification',
  'logging',
  'model_repository',
  'model_repository(unload_dependents)',
  'model_configuration',
  'binary_tensor_data',
  'parameters',
  'statistics',
  'trace',
  'system_shared_memory',
];

/** Construction options of an {@link InferenceServer}. */
export interface InferenceServerOptions {
  manager: ModelManager;
  observers: ObserverHub;
  version: string;
  strictReadiness: boolean;
  /** The server's name in its metadata (Triton's `--id`; default `tensorgate`). */
  name?: string;
  /** The response cache (`--cache-config`); none: models run uncached whatever their config says. */
  responseCache?: ResponseCache;
}

/**
 * @example
 * ```ts
 * const core = new InferenceServer({ manager, observers: new ObserverHub(), version: '0.1.0', strictReadiness: true });
 * core.markStarted();
 * ```
 */
export class InferenceServer implements InferenceCore {
  private started = false;
  private stopping = false;

  constructor(private readonly opts: InferenceServerOptions) {}

  /** Called once the startup models were attempted. */
  markStarted(): void {
    this.started = true;
  }

  /** Called when shutdown begins: readiness goes false, liveness stays until exit. */
  markStopping(): void {
    this.stopping = true;
  }

  isLive(): boolean {
    return true;
  }

  isReady(): boolean {
    if (!this.started || this.stopping) return false;
    return !this.opts.strictReadiness || this.opts.manager.allReady();
  }

  serverMetadata(): ServerMetadata {
    return { name: this.opts.name ?? 'tensorgate', version: this.opts.version, extensions: [...SERVER_EXTENSIONS] };
  }

  isModelReady(name: string, version = ''): boolean {
    try {
      const v = this.opts.manager.resolve(name, version);
      // A model whose every instance is restarting cannot serve now (requests get UNAVAILABLE), so
      // it is not ready; its state stays READY, so server readiness does not follow it.
      // An ensemble is ready only while every step's model is.
      return (
        v.state === 'READY' &&
        v.hasServingInstance() &&
        ensembleStepsReady(v.config, (model, version) => this.isModelReady(model, version))
      );
    } catch {
      return false;
    }
  }

  modelMetadata(name: string, version = ''): ModelMetadata {
    const v = this.opts.manager.resolve(name, version);
    const versions = this.opts.manager.servingVersions(name).map((s) => s.label);
    return v.metadata(versions);
  }

  modelConfig(name: string, version = ''): ModelConfig {
    return this.opts.manager.resolve(name, version).config;
  }

  modelStatistics(name = '', version = ''): ModelStatistics[] {
    if (name === '') {
      return this.opts.manager.servingVersions().map((s) => s.statistics());
    }
    if (version !== '') {
      const s = this.opts.manager.resolve(name, version);
      return [s.statistics()];
    }
    this.opts.manager.resolve(name, '');
    return this.opts.manager.servingVersions(name).map((s) => s.statistics());
  }

  repositoryIndex(readyOnly = false): Promise<RepositoryIndexEntry[]> {
    return this.opts.manager.index(readyOnly);
  }

  private requireExplicit(what: string): void {
    const mode = this.opts.manager.controlMode;
    if (mode !== 'explicit') {
      throw unsupported(
        `explicit model ${what} is not allowed in model control mode '${mode}' (start the server with --model-control-mode=explicit)`,
      );
    }
  }

  async loadModel(name: string, options: LoadOptions = {}): Promise<void> {
    this.requireExplicit('load');
    await this.opts.manager.load(name, options.config);
  }

  async unloadModel(name: string, options: UnloadOptions = {}): Promise<void> {
    this.requireExplicit('unload');
    await this.opts.manager.unload(name, { unloadDependents: options.unloadDependents === true });
  }

  addObserver(observer: InferenceObserver): void {
    this.opts.observers.add(observer);
  }

  infer(request: InferRequest, ctx: RequestContext): AsyncIterable<InferResponse> {
    return new DeferredRun(
      ctx.onComplete || ctx.trace ? () => this.openOrComplete(request, ctx) : () => this.open(request, ctx),
    );
  }

  /**
   * {@link open}, telling `ctx.onComplete` when the request is refused before it starts (and
   * releasing a composing model's trace, which the run would have released).
   */
  private openOrComplete(request: InferRequest, ctx: RequestContext): AsyncIterator<InferResponse> {
    try {
      return this.open(request, ctx);
    } catch (e) {
      ctx.onComplete?.(undefined);
      if (ctx.trace?.parent !== undefined) ctx.trace.release();
      throw e;
    }
  }

  /** Checks and validates a request, then starts its run (on the consumer's first `next()`). */
  private open(request: InferRequest, ctx: RequestContext): AsyncIterator<InferResponse> {
    // A model's calls to other models (BLS, protocol 'internal') belong to requests already in
    // flight, which shutdown lets finish: refusing them would fail those requests instead.
    if (this.stopping && ctx.protocol !== 'internal') {
      throw new InferenceError('UNAVAILABLE', 'the server is shutting down');
    }
    const version = this.opts.manager.resolve(request.modelName, request.modelVersion);
    // Triton's REQUEST_START: the core has the request and knows its model version.
    ctx.trace?.begin(version.name, Number(version.label), request.id, version.clock.nowNs());
    if (version.decoupled && !ctx.allowDecoupled && !version.model.acceptsUnary?.(request.inputs)) {
      throw unsupported(
        `model '${version.name}' is decoupled: unary inference doesn't support models with decoupled transaction ` +
          `policy (it may send any number of responses); use gRPC ModelStreamInfer instead`,
      );
    }
    let validated;
    try {
      validated = validateRequest(request, version.config);
    } catch (e) {
      version.stats.recordFailure(0);
      this.opts.observers.onRequest({
        model: version.name,
        version: version.label,
        success: false,
        reason: 'OTHER',
        batchSize: 0,
        requestNs: 0,
        queueNs: 0,
        computeInputNs: 0,
        computeInferNs: 0,
        computeOutputNs: 0,
      });
      throw e;
    }
    const cache = this.opts.responseCache;
    if (cache !== undefined && cachesResponses(version)) {
      const observers = this.opts.observers;
      return cache.run(version, request, validated, ctx, observers, () =>
        runInference(version, request, validated, ctx, observers),
      );
    }
    return runInference(version, request, validated, ctx, this.opts.observers);
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The iterator {@link InferenceServer.infer} returns: nothing happens until the first `next()`,
 * which opens the run (errors from resolving or validating the request reject that `next()`),
 * then every call goes straight to the run. A hand-written stand-in for an async generator that
 * would `yield*` the run, without the generator's extra promise hops per response.
 */
class DeferredRun implements AsyncIterableIterator<InferResponse> {
  private run: AsyncIterator<InferResponse> | undefined;
  private closed = false;

  constructor(private readonly open: () => AsyncIterator<InferResponse>) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<InferResponse>> {
    if (this.run) return this.run.next();
    if (this.closed) return Promise.resolve(DONE);
    this.closed = true;
    try {
      this.run = this.open();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.run.next();
  }

  return(): Promise<IteratorResult<InferResponse>> {
    this.closed = true;
    return this.run?.return ? this.run.return() : Promise.resolve(DONE);
  }
}
