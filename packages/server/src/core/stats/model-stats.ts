/**
 * Per model-version statistics in the shape of Triton's statistics extension. The core records
 * every request and execution here once, whatever the protocol, so HTTP `/stats`, gRPC
 * ModelStatistics and the metrics all agree.
 */
import type { InferBatchStatistics, ModelStatistics, StatisticDuration } from '../protocol-shapes.js';
import type { ExecutionTimings } from '../../backend-api/backend.js';

const zero = (): StatisticDuration => ({ count: 0, ns: 0 });

function add(d: StatisticDuration, ns: number): void {
  d.count += 1;
  d.ns += Math.max(0, Math.round(ns));
}

/** Durations of one successful request, nanoseconds. */
export interface RequestDurations {
  totalNs: number;
  queueNs: number;
  computeInputNs: number;
  computeInferNs: number;
  computeOutputNs: number;
}

/**
 * Accumulates the statistics of one model version.
 *
 * @example
 * ```ts
 * const stats = new ModelStats(() => Date.now());
 * stats.recordSuccess(1, { totalNs: 1e6, queueNs: 1e4, computeInputNs: 0, computeInferNs: 9e5, computeOutputNs: 0 });
 * stats.snapshot('simple', '1').inference_count // 1
 * ```
 */
export class ModelStats {
  private readonly success = zero();
  private readonly fail = zero();
  private readonly queue = zero();
  private readonly computeInput = zero();
  private readonly computeInfer = zero();
  private readonly computeOutput = zero();
  private readonly cacheHit = zero();
  private readonly cacheMiss = zero();
  private inferenceCount = 0;
  private executionCount = 0;
  private lastInference = 0;
  private readonly batches = new Map<number, InferBatchStatistics>();

  /** @param nowMs wall clock for `last_inference` (injectable for tests). */
  constructor(private readonly nowMs: () => number = Date.now) {}

  /** A request finished successfully; `batchSize` is its leading batch dimension (1 if none). */
  recordSuccess(batchSize: number, d: RequestDurations): void {
    add(this.success, d.totalNs);
    add(this.queue, d.queueNs);
    add(this.computeInput, d.computeInputNs);
    add(this.computeInfer, d.computeInferNs);
    add(this.computeOutput, d.computeOutputNs);
    this.inferenceCount += batchSize;
    this.lastInference = this.nowMs();
  }

  /**
   * A request answered from the response cache (Triton's UpdateSuccessCacheHit): a success with
   * its request and queue durations and inference count, plus `cache_hit` with the lookup's
   * duration; no execution and no compute durations.
   */
  recordCacheHit(batchSize: number, d: { totalNs: number; queueNs: number; lookupNs: number }): void {
    add(this.success, d.totalNs);
    add(this.queue, d.queueNs);
    add(this.cacheHit, d.lookupNs);
    this.inferenceCount += batchSize;
    this.lastInference = this.nowMs();
  }

  /** A successful request that missed the cache: lookup plus insertion took `ns` (Triton's cache_miss). */
  recordCacheMiss(ns: number): void {
    add(this.cacheMiss, ns);
  }

  /** A request failed after `totalNs`. */
  recordFailure(totalNs: number): void {
    add(this.fail, totalNs);
    this.lastInference = this.nowMs();
  }

  /** One execution of a batch of `batchSize` on an instance. */
  recordExecution(batchSize: number, t: ExecutionTimings): void {
    this.executionCount += 1;
    let row = this.batches.get(batchSize);
    if (!row) {
      row = { batch_size: batchSize, compute_input: zero(), compute_infer: zero(), compute_output: zero() };
      this.batches.set(batchSize, row);
    }
    add(row.compute_input, t.computeInputNs);
    add(row.compute_infer, t.computeInferNs);
    add(row.compute_output, t.computeOutputNs);
  }

  /** A deep copy in Triton's ModelStatistics shape. */
  snapshot(name: string, version: string): ModelStatistics {
    const c = (d: StatisticDuration): StatisticDuration => ({ count: d.count, ns: d.ns });
    return {
      name,
      version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: c(this.success),
        fail: c(this.fail),
        queue: c(this.queue),
        compute_input: c(this.computeInput),
        compute_infer: c(this.computeInfer),
        compute_output: c(this.computeOutput),
        cache_hit: c(this.cacheHit),
        cache_miss: c(this.cacheMiss),
      },
      batch_stats: [...this.batches.values()]
        .sort((a, b) => a.batch_size - b.batch_size)
        .map((b) => ({
          batch_size: b.batch_size,
          compute_input: c(b.compute_input),
          compute_infer: c(b.compute_infer),
          compute_output: c(b.compute_output),
        })),
      memory_usage: [],
      response_stats: {},
    };
  }
}
