/**
 * `--cache-config`, as `tritonserver` reads it (src/command_line_parser.cc: each entry is
 * `<cache>,<key>=<value>`, repeatable; entries of one cache name add up). Two caches exist, as in
 * Triton's release containers: `local` (`size=<bytes>`, Triton's local_cache) and `redis`
 * (triton-inference-server/redis_cache: `host`, `port`, `user`, `password`, `db`,
 * `connect_timeout`, `socket_timeout`, and the TLS keys `tls_enabled`, `cert`, `key`, `cacert`,
 * `sni`). Where Triton would accept a key and do nothing with it, tensorgate refuses to start,
 * naming it (docs/response-cache.md).
 */

/** A `--cache-config` entry that cannot be used; the message names it. */
export class CacheConfigError extends Error {}

/** The in-process cache: LRU by bytes. */
export interface LocalCacheConfig {
  kind: 'local';
  /** Bytes the entries may hold in all. */
  sizeBytes: number;
}

/** TLS to Redis (all paths are PEM files). */
export interface RedisTlsConfig {
  /** Client certificate (mutual TLS); with `keyFile`. */
  certFile?: string;
  keyFile?: string;
  /** CA bundle that the server's certificate must chain to (default: Node's trusted CAs). */
  caFile?: string;
  /** Server name sent and verified (default: the host). */
  sni?: string;
}

/** A Redis server shared by every replica. */
export interface RedisCacheConfig {
  kind: 'redis';
  host: string;
  port: number;
  user?: string;
  password?: string;
  db: number;
  /** Milliseconds to establish a connection. */
  connectTimeoutMs: number;
  /** Milliseconds one command may take before the request goes on without the cache. */
  socketTimeoutMs: number;
  tls?: RedisTlsConfig;
}

/** The server's response cache, or none. */
export type CacheConfig = LocalCacheConfig | RedisCacheConfig;

/** Default `connect_timeout` (Triton's 0 waits forever, which would hold requests). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
/** Default `socket_timeout` (see {@link DEFAULT_CONNECT_TIMEOUT_MS}). */
export const DEFAULT_SOCKET_TIMEOUT_MS = 100;

const KEYS: Record<'local' | 'redis', readonly string[]> = {
  local: ['size'],
  redis: [
    'host',
    'port',
    'user',
    'password',
    'db',
    'connect_timeout',
    'socket_timeout',
    'tls_enabled',
    'cert',
    'key',
    'cacert',
    'sni',
  ],
};

/** Keys of Triton's redis cache that a single multiplexed ioredis connection has no use for. */
const REFUSED: Record<string, string> = {
  pool_size: 'tensorgate keeps one pipelined connection per server (ioredis); a pool size does not apply. Remove it',
  wait_timeout: 'there is no connection pool to wait for (one pipelined connection); use socket_timeout',
};

function bad(entry: string, why: string): CacheConfigError {
  return new CacheConfigError(`--cache-config ${entry}: ${why}`);
}

function integer(entry: string, key: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw bad(entry, `${key} must be an integer, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw bad(entry, `${key} must be between ${min} and ${max}, got ${text}`);
  return n;
}

/**
 * Parses the `--cache-config` entries; `undefined` when none (no response cache: models with
 * `response_cache { enable: true }` load and run uncached, as in Triton).
 *
 * @example
 * ```ts
 * parseCacheConfig(['local,size=1048576']); // { kind: 'local', sizeBytes: 1048576 }
 * parseCacheConfig(['redis,host=localhost', 'redis,port=6379']).kind; // 'redis'
 * ```
 */
export function parseCacheConfig(entries: readonly string[]): CacheConfig | undefined {
  if (entries.length === 0) return undefined;
  let name: 'local' | 'redis' | undefined;
  const values = new Map<string, { value: string; entry: string }>();
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    if (comma < 0) throw bad(entry, "expected '<cache>,<key>=<value>' (e.g. local,size=1048576)");
    const cache = entry.slice(0, comma).trim();
    if (cache !== 'local' && cache !== 'redis') {
      throw bad(entry, `unknown cache '${cache}': the caches are 'local' and 'redis'`);
    }
    if (name !== undefined && name !== cache) {
      throw bad(entry, `only one cache may be configured, and '${name}' already is`);
    }
    name = cache;
    const setting = entry.slice(comma + 1);
    const eq = setting.indexOf('=');
    if (eq <= 0) throw bad(entry, "expected '<cache>,<key>=<value>'");
    const key = setting.slice(0, eq).trim();
    const value = setting.slice(eq + 1);
    const refused = REFUSED[key];
    if (cache === 'redis' && refused !== undefined) throw bad(entry, `'${key}' is not supported: ${refused}`);
    if (!KEYS[cache].includes(key)) {
      throw bad(entry, `unknown ${cache} cache setting '${key}'; known: ${KEYS[cache].join(', ')}`);
    }
    values.set(key, { value, entry });
  }
  return name === 'local' ? localConfig(values) : redisConfig(values);
}

type Values = Map<string, { value: string; entry: string }>;

function localConfig(values: Values): LocalCacheConfig {
  const size = values.get('size');
  if (!size) throw new CacheConfigError("--cache-config local: 'size=<bytes>' is required");
  const sizeBytes = integer(size.entry, 'size', size.value, 1, Number.MAX_SAFE_INTEGER);
  return { kind: 'local', sizeBytes };
}

function redisConfig(values: Values): RedisCacheConfig {
  const get = (k: string): { value: string; entry: string } | undefined => values.get(k);
  const host = get('host');
  const port = get('port');
  if (!host || host.value === '') throw new CacheConfigError("--cache-config redis: 'host=<host>' is required");
  if (!port) throw new CacheConfigError("--cache-config redis: 'port=<port>' is required");
  const ms = (k: string, dflt: number): number => {
    const v = get(k);
    if (!v) return dflt;
    const n = integer(v.entry, k, v.value, 0, 600_000);
    if (n === 0) {
      // Triton's 0 waits forever: a slow Redis would then hold every cached request.
      throw bad(v.entry, `${k}=0 (wait forever) is refused: a slow Redis must never hold requests; give milliseconds`);
    }
    return n;
  };
  const config: RedisCacheConfig = {
    kind: 'redis',
    host: host.value,
    port: integer(port.entry, 'port', port.value, 1, 65535),
    db: get('db') ? integer(get('db')!.entry, 'db', get('db')!.value, 0, 65535) : 0,
    connectTimeoutMs: ms('connect_timeout', DEFAULT_CONNECT_TIMEOUT_MS),
    socketTimeoutMs: ms('socket_timeout', DEFAULT_SOCKET_TIMEOUT_MS),
  };
  if (get('user')) config.user = get('user')!.value;
  if (get('password')) config.password = get('password')!.value;
  const tlsFlag = get('tls_enabled');
  const tlsOn = tlsFlag ? parseBool(tlsFlag.entry, tlsFlag.value) : false;
  const tlsKeys = ['cert', 'key', 'cacert', 'sni'].filter((k) => values.has(k));
  if (!tlsOn && tlsKeys.length > 0) {
    throw bad(get(tlsKeys[0]!)!.entry, `'${tlsKeys[0]}' has no effect without redis,tls_enabled=true`);
  }
  if (tlsOn) {
    const tls: RedisTlsConfig = {};
    if (get('cert')) tls.certFile = get('cert')!.value;
    if (get('key')) tls.keyFile = get('key')!.value;
    if (get('cacert')) tls.caFile = get('cacert')!.value;
    if (get('sni')) tls.sni = get('sni')!.value;
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      throw new CacheConfigError("--cache-config redis: 'cert' and 'key' go together (mutual TLS)");
    }
    config.tls = tls;
  }
  return config;
}

function parseBool(entry: string, text: string): boolean {
  const t = text.toLowerCase();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw bad(entry, `tls_enabled must be true or false, got '${text}'`);
}

/** The configuration for logs: the password replaced by `***`. */
export function describeCacheConfig(config: CacheConfig): Record<string, unknown> {
  if (config.kind === 'local') return { cache: 'local', size: config.sizeBytes };
  return {
    cache: 'redis',
    host: config.host,
    port: config.port,
    db: config.db,
    user: config.user,
    password: config.password === undefined ? undefined : '***',
    tls: config.tls !== undefined,
  };
}
