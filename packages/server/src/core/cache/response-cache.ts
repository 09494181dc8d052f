/**
 * Triton's response cache in the core: a request for a model with `response_cache { enable: true }`
 * is looked up by its key (cache-key.ts) before it is scheduled. A hit answers from the cache
 * without executing the model; a miss runs the model and stores its response, without making the
 * client wait for the insertion. Statistics follow Triton's InferenceStatsAggregator: a hit counts
 * as a success (request and queue durations, inference count) plus `cache_hit` (lookup duration),
 * with no execution and no compute durations; a successful miss adds `cache_miss` (lookup plus
 * insertion durations) to the usual statistics. Observers get the same as `nv_cache_*` metrics.
 */
import type { Clock } from '../clock.js';
import type { InferenceObserver } from '../observer.js';
import type { ServingVersion } from '../serving-version.js';
import type { InferRequest, InferResponse, RequestContext } from '../types.js';
import type { ValidatedRequest } from '../validate-request.js';
import { cacheKey, uncacheableReason } from './cache-key.js';
import { decodeEntry, encodeEntry } from './cache-entry.js';
import type { CacheStore } from './cache-store.js';

const NO_TIMINGS = Object.freeze({ computeInputNs: 0, computeInferNs: 0, computeOutputNs: 0 });

/** True when `version` caches its responses (its config enables it and it is not decoupled). */
export function cachesResponses(version: ServingVersion): boolean {
  const rc = version.config['response_cache'] as { enable?: boolean } | undefined;
  return rc?.enable === true && !version.decoupled;
}

/**
 * The server's response cache: one store shared by every model that enables caching.
 *
 * @example
 * ```ts
 * const cache = new ResponseCache(new LocalCacheStore(1 << 20), systemClock);
 * const responses = cache.run(version, request, validated, ctx, observer, () => runInference(...));
 * ```
 */
export class ResponseCache {
  /** Entries that were found but unreadable (malformed or foreign), answered as misses. */
  private corrupt = 0;

  constructor(
    readonly store: CacheStore,
    private readonly clock: Clock,
  ) {}

  /** Entries found unreadable so far. */
  get corruptEntries(): number {
    return this.corrupt;
  }

  /**
   * The responses of `request`: from the cache, or from `execute()` (then stored). Requests
   * Triton never caches (sequence requests) go straight to `execute()`.
   */
  run(
    version: ServingVersion,
    request: InferRequest,
    validated: ValidatedRequest,
    ctx: RequestContext,
    observer: InferenceObserver,
    execute: () => AsyncIterator<InferResponse>,
  ): AsyncIterator<InferResponse> {
    if (uncacheableReason(request) !== undefined) return execute();
    return this.cached(version, request, validated, ctx, observer, execute);
  }

  private async *cached(
    version: ServingVersion,
    request: InferRequest,
    validated: ValidatedRequest,
    ctx: RequestContext,
    observer: InferenceObserver,
    execute: () => AsyncIterator<InferResponse>,
  ): AsyncGenerator<InferResponse, void, undefined> {
    const clock = this.clock;
    const arrivedNs = clock.nowNs();
    const key = cacheKey(version.name, version.label, request, validated);
    const lookupStartNs = clock.nowNs();
    const found = await this.store.get(key);
    const lookupNs = clock.nowNs() - lookupStartNs;
    if ('hit' in found) {
      const entry = decodeEntry(found.hit, validated.requestedOutputs);
      if (entry) {
        const response: InferResponse = {
          modelName: version.name,
          modelVersion: version.label,
          id: request.id,
          outputs: entry.outputs,
          parameters: entry.parameters,
          final: true,
          outputBuffersOwned: true,
        };
        this.recordHit(version, validated, ctx, observer, arrivedNs, lookupStartNs, lookupNs);
        yield response;
        return;
      }
      this.corrupt += 1;
    }
    // A miss: the model runs; its one response is stored as it goes to the client (the
    // consumer may stop reading right after the final response, so nothing waits until then).
    const run = execute();
    let done = false;
    try {
      for (;;) {
        const next = await run.next();
        if (next.done) break;
        const r = next.value;
        // Only a successful final response with outputs is stored (Triton caches successes only).
        if (r.final && r.error === undefined && r.emptyFinal !== true) {
          // Encoded (copied) before the frontend may take the output buffers over.
          this.insert(
            version,
            observer,
            key,
            encodeEntry({ outputs: [...r.outputs], parameters: r.parameters }),
            lookupNs,
          );
        }
        yield r;
      }
      done = true;
    } finally {
      if (!done) await run.return?.();
    }
  }

  /** Stores an entry without holding the response; records the miss once the insertion is over. */
  private insert(
    version: ServingVersion,
    observer: InferenceObserver,
    key: string,
    entry: Uint8Array,
    lookupNs: number,
  ): void {
    const clock = this.clock;
    const insertStartNs = clock.nowNs();
    const finish = (): void => {
      const ns = lookupNs + (clock.nowNs() - insertStartNs);
      version.stats.recordCacheMiss(ns);
      observer.onCache?.({ model: version.name, version: version.label, hit: false, ns });
    };
    const stored = this.store.set(key, entry);
    if (stored instanceof Promise) void stored.then(finish, finish);
    else finish();
  }

  /** Statistics, metrics and trace of a hit (Triton's UpdateSuccessCacheHit). */
  private recordHit(
    version: ServingVersion,
    validated: ValidatedRequest,
    ctx: RequestContext,
    observer: InferenceObserver,
    arrivedNs: number,
    lookupStartNs: number,
    lookupNs: number,
  ): void {
    const endNs = this.clock.nowNs();
    const totalNs = endNs - arrivedNs;
    const queueNs = lookupStartNs - arrivedNs;
    version.stats.recordCacheHit(validated.batchSize, { totalNs, queueNs, lookupNs });
    observer.onRequest?.({
      model: version.name,
      version: version.label,
      success: true,
      batchSize: validated.batchSize,
      requestNs: totalNs,
      queueNs,
      computeInputNs: 0,
      computeInferNs: 0,
      computeOutputNs: 0,
    });
    observer.onCache?.({ model: version.name, version: version.label, hit: true, ns: lookupNs });
    const trace = ctx.trace;
    if (trace) {
      trace.capture('QUEUE_START', arrivedNs);
      trace.capture('REQUEST_END', endNs);
      // A composing model's trace: its caller handed its reference over to this request.
      if (trace.parent !== undefined) trace.release();
    }
    ctx.onComplete?.(NO_TIMINGS);
  }
}
