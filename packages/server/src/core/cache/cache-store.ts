/**
 * Where cached responses live: the in-process LRU ({@link LocalCacheStore}) or a Redis server
 * shared by replicas (`redis-cache-store.ts`). A store never throws into a request: `get` and
 * `set` report failures through their result and {@link CacheStore.failures}.
 */
import { LRUCache } from 'lru-cache';

/** The outcome of a lookup: the entry's bytes, a miss, or a failed lookup (counted as a miss). */
export type CacheLookup = { hit: Uint8Array } | { miss: true; failed?: boolean };

/** A response cache's storage. */
export interface CacheStore {
  /** `local` or `redis` (logs, the `tensorgate_response_cache_*` metrics). */
  readonly kind: 'local' | 'redis';
  get(key: string): Promise<CacheLookup> | CacheLookup;
  /** Stores an entry; false when it was not stored (too large, store unavailable). */
  set(key: string, value: Uint8Array): Promise<boolean> | boolean;
  /** Lookups and insertions that failed because the store did not answer (Redis down or slow). */
  readonly failures: number;
  /** Entries refused because they are larger than the cache. */
  readonly oversized: number;
  close(): Promise<void>;
}

/**
 * Triton's `local` cache: one in-process LRU shared by every model, bounded by the bytes its
 * entries hold (`lru-cache` with `maxSize`); an entry larger than the whole cache is refused.
 *
 * @example
 * ```ts
 * const store = new LocalCacheStore(1 << 20);
 * store.set('k', new Uint8Array(8));
 * store.get('k'); // { hit: Uint8Array(8) }
 * ```
 */
export class LocalCacheStore implements CacheStore {
  readonly kind = 'local';
  readonly failures = 0;
  private refused = 0;
  private readonly lru: LRUCache<string, Uint8Array>;

  /** @param sizeBytes bytes all entries may hold together. */
  constructor(readonly sizeBytes: number) {
    this.lru = new LRUCache<string, Uint8Array>({
      maxSize: sizeBytes,
      maxEntrySize: sizeBytes,
      // Key (hex digest) plus value bytes: what the entry costs in memory.
      sizeCalculation: (value, key) => value.byteLength + key.length,
    });
  }

  get oversized(): number {
    return this.refused;
  }

  /** Bytes the entries hold now. */
  get usedBytes(): number {
    return this.lru.calculatedSize;
  }

  /** Entries held now. */
  get entries(): number {
    return this.lru.size;
  }

  get(key: string): CacheLookup {
    const v = this.lru.get(key);
    return v === undefined ? { miss: true } : { hit: v };
  }

  set(key: string, value: Uint8Array): boolean {
    if (value.byteLength + key.length > this.sizeBytes) {
      this.refused += 1;
      return false;
    }
    this.lru.set(key, value);
    return true;
  }

  close(): Promise<void> {
    this.lru.clear();
    return Promise.resolve();
  }
}
