/**
 * A loaded, servable model version: its config, the backend's instances behind a scheduler, its
 * statistics, and a count of requests in flight so an unload or replacement can wait for them.
 */
import { fromConfigDataType, type DataType } from '@tensorgate/protocol';
import type { BackendModel } from '../backend-api/backend.js';
import type { Clock } from './clock.js';
import type { ModelConfig } from './config/model-config.js';
import type { ModelMetadata, ModelState, ModelStatistics, TensorMetadata } from './protocol-shapes.js';
import { DirectScheduler, type ExecutionListener } from './scheduling/direct-scheduler.js';
import { DynamicBatcher } from './scheduling/dynamic-batcher.js';
import { SequenceScheduler } from './scheduling/sequence/sequence-scheduler.js';
import { sequenceSettings } from './scheduling/sequence/sequence-settings.js';
import type { LoadedStateSpec } from './scheduling/sequence/state-config.js';
import type { Scheduler } from './scheduling/scheduler.js';
import type { RegisteredVersion } from './scheduling/rate-limiter.js';
import { ModelStats } from './stats/model-stats.js';
import type { InferenceObserver, VersionInfo } from './observer.js';
import type { OutputLabels } from './classification.js';
import { isLlmModelConfig } from './llm-contract.js';

/** Server-wide settings a version's scheduler takes. */
export interface ServingOptions {
  /** Sequences that may wait for a sequence slot, per version (`--max-sequence-backlog`). */
  readonly maxSequenceBacklog?: number;
  /** The model's implicit states with their initial values (`sequence_batching.state`). */
  readonly stateSpecs?: readonly LoadedStateSpec[];
  /** Most bytes of implicit state per sequence (`--max-sequence-state-bytes`). */
  readonly maxSequenceStateBytes?: number;
}

/**
 * @example
 * ```ts
 * const v = new ServingVersion('simple', 1, config, backendModel, systemClock, observer);
 * v.scheduler.enqueue(job);
 * await v.drain(); await v.model.unload();
 * ```
 */
export class ServingVersion {
  readonly scheduler: Scheduler;
  readonly stats: ModelStats;
  /** The version number as protocols print it ("1"), computed once for the per-request path. */
  readonly label: string;
  /** True when some output has a config `reshape` (responses then map shapes back). */
  readonly reshapesOutputs: boolean;
  /** Cached {@link decoupled}: read on every response. */
  private readonly isDecoupled: boolean;
  /** What kind of model this is, for observers (decoupled, LLM contract). */
  readonly info: VersionInfo;
  state: ModelState = 'READY';
  private inflight = 0;
  /** Decoupled models only: requests handed to an instance and not finished. */
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly version: number,
    readonly config: ModelConfig,
    readonly model: BackendModel,
    readonly clock: Clock,
    private readonly observer: InferenceObserver,
    /** Class labels per output (`label_filename`), for the classification extension. */
    readonly labels: OutputLabels = new Map(),
    /** Its place in the rate limiter (`--rate-limit execution_count`); unregistered when retired. */
    readonly gate?: RegisteredVersion,
    /** Server-wide scheduling settings (`--max-sequence-backlog`). */
    options: ServingOptions = {},
  ) {
    this.stats = new ModelStats(clock.wallMs);
    this.label = String(version);
    this.reshapesOutputs = config.output.some((o) => !!o.reshape);
    this.isDecoupled = config.model_transaction_policy.decoupled;
    this.info = { decoupled: this.isDecoupled, llm: isLlmModelConfig(config) };
    const onExecution: ExecutionListener = (batchSize, timings) => {
      this.stats.recordExecution(batchSize, timings);
      observer.onExecution?.({ model: name, version: this.label, batchSize });
    };
    // Batching is a scheduler chosen from the config. As in Triton, dynamic_batching on a model with
    // max_batch_size 0 still gets the batcher (batches of one request): its queue policies,
    // priorities and preserve_ordering apply all the same.
    const db = config.dynamic_batching;
    this.scheduler = config.sequence_batching
      ? new SequenceScheduler(
          model.instances,
          clock,
          onExecution,
          config,
          sequenceSettings(config, options.maxSequenceBacklog),
          options.stateSpecs,
          options.maxSequenceStateBytes,
          gate,
        )
      : db
        ? new DynamicBatcher(
            model.instances,
            clock,
            onExecution,
            {
              name,
              max_batch_size: config.max_batch_size,
              input: config.input,
              dynamic_batching: db,
            },
            gate,
          )
        : new DirectScheduler(model.instances, clock, onExecution, name, gate);
  }

  /**
   * True while some instance can take work. False while every instance is restarting (e.g. in
   * crash back-off): the model then reports not ready, though its state stays READY.
   */
  hasServingInstance(): boolean {
    const instances = this.model.instances;
    for (const i of instances) if (i.unavailable?.() === undefined) return true;
    return instances.length === 0;
  }

  /** This version's statistics in Triton's shape. */
  statistics(): ModelStatistics {
    return this.stats.snapshot(this.name, this.label);
  }

  /** True when the model may send zero or many responses per request. */
  get decoupled(): boolean {
    return this.isDecoupled;
  }

  /** Number of requests queued or executing. */
  get pending(): number {
    return this.inflight;
  }

  /** A request entered the version. */
  begin(): void {
    this.inflight++;
    this.observer.onPending?.(this.name, this.label, this.inflight);
    if (this.isDecoupled) this.reportRunning();
  }

  /** Decoupled models only: a request left the scheduler queue for an instance. */
  started(): void {
    this.running++;
    this.reportRunning();
  }

  /**
   * A request left the version (success or failure); `wasStarted` when {@link started} was
   * called for it.
   */
  end(wasStarted = false): void {
    this.inflight--;
    if (wasStarted) this.running--;
    this.observer.onPending?.(this.name, this.label, this.inflight);
    if (this.isDecoupled) this.reportRunning();
    if (this.inflight === 0) {
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  private reportRunning(): void {
    const running = this.running;
    this.observer.onRunning?.(this.name, this.label, {
      llm: this.info.llm,
      running,
      waiting: this.inflight - running,
    });
  }

  /** Resolves once no request is in flight. */
  drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Tensor metadata of the version, shapes with a leading -1 when the model batches. */
  metadata(versions: string[]): ModelMetadata {
    const batch = this.config.max_batch_size > 0;
    const tensor = (t: { name: string; data_type: string; dims: number[] }): TensorMetadata => ({
      name: t.name,
      datatype: (fromConfigDataType(t.data_type) ?? 'BYTES') as DataType,
      shape: batch ? [-1, ...t.dims] : [...t.dims],
    });
    return {
      name: this.name,
      versions,
      platform: this.config.platform || this.config.backend,
      inputs: this.config.input.map(tensor),
      outputs: this.config.output.map(tensor),
    };
  }
}
