/**
 * Triton's `redis` cache: entries live in a Redis server shared by every replica, through ioredis
 * (one pipelined connection, reconnecting in the background). Redis may be slow or down at any
 * time: commands are refused at once while disconnected (no offline queue), time out after
 * `socket_timeout`, and never throw into a request; each failure is counted and the first of a
 * burst is logged (the next success logs the recovery).
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { RedisCacheConfig } from '../../cli/cache-config.js';
import type { CacheLookup, CacheStore } from './cache-store.js';

/** Prefix of every key tensorgate writes (the rest is the request's SHA-256, cache-key.ts). */
export const REDIS_KEY_PREFIX = 'tensorgate:response-cache:';

/** Redis' largest string value (proto-max-bulk-len's default): larger entries are not stored. */
const MAX_VALUE_BYTES = 512 * 1024 * 1024;

/** The logging the store needs (pino's Logger fits). */
export interface CacheLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

function createClient(config: RedisCacheConfig): Redis {
  const options = {
    host: config.host,
    port: config.port,
    db: config.db,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.socketTimeoutMs,
    // A command while disconnected fails at once instead of waiting for a reconnection.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect in the background, backing off to one try every 2 s.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
    lazyConnect: false,
  };
  const t = config.tls;
  return new Redis({
    ...options,
    ...(config.user !== undefined ? { username: config.user } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(t === undefined
      ? {}
      : {
          tls: {
            ...(t.caFile !== undefined ? { ca: readFileSync(t.caFile) } : {}),
            ...(t.certFile !== undefined ? { cert: readFileSync(t.certFile) } : {}),
            ...(t.keyFile !== undefined ? { key: readFileSync(t.keyFile) } : {}),
            servername: t.sni ?? config.host,
          },
        }),
  });
}

/**
 * The Redis store.
 *
 * @example
 * ```ts
 * const store = new RedisCacheStore(parseCacheConfig(['redis,host=127.0.0.1', 'redis,port=6379']), logger);
 * await store.set('k', bytes);
 * await store.get('k'); // { hit: bytes }
 * ```
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private failed = 0;
  private refused = 0;
  /** True from a failure until the next success: one warning per burst of failures. */
  private failing = false;
  private readonly client: Redis;

  constructor(
    private readonly config: RedisCacheConfig,
    private readonly logger: CacheLogger,
  ) {
    this.client = createClient(config);
    // Connection errors surface here (and as failed commands); the per-command path logs them.
    this.client.on('error', (err: Error) => this.failure(err));
  }

  get failures(): number {
    return this.failed;
  }

  get oversized(): number {
    return this.refused;
  }

  /** Resolves when the first connection is up (or rejects after `connect_timeout`); start-up logs it. */
  ready(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no connection to Redis at ${this.config.host}:${this.config.port} yet`));
      }, this.config.connectTimeoutMs);
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
      };
      this.client.on('ready', onReady);
    });
  }

  async get(key: string): Promise<CacheLookup> {
    try {
      const value = await this.client.getBuffer(REDIS_KEY_PREFIX + key);
      this.success();
      return value === null ? { miss: true } : { hit: value };
    } catch (err) {
      this.failure(err as Error, true);
      return { miss: true, failed: true };
    }
  }

  async set(key: string, value: Uint8Array): Promise<boolean> {
    if (value.byteLength > MAX_VALUE_BYTES) {
      this.refused += 1;
      return false;
    }
    try {
      await this.client.set(REDIS_KEY_PREFIX + key, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      this.success();
      return true;
    } catch (err) {
      this.failure(err as Error, true);
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.removeAllListeners('error');
    this.client.on('error', () => undefined);
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private success(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info({ host: this.config.host, port: this.config.port }, 'response cache: Redis answers again');
  }

  private failure(err: Error, counted = false): void {
    if (counted) this.failed += 1;
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(
      { host: this.config.host, port: this.config.port, err: err.message },
      'response cache: Redis is unavailable; requests run without the cache until it answers',
    );
  }
}
