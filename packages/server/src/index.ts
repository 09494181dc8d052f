/**
 * tensorgate's public API for embedding the server and writing backends.
 */
export { createServer, defaultBackends, SERVER_VERSION } from './create-server.js';
export type { RunningServer, ServerDeps } from './create-server.js';
export { parseSettings } from './cli/settings.js';
export type { ServerSettings } from './cli/settings.js';
export { InferenceError, ERROR_CODES } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export type * from './core/types.js';
export type * from './core/protocol-shapes.js';
export type * from './core/inference-core.js';
export type * from './core/observer.js';
export type * from './core/config/model-config.js';
export type { GpuDetection } from './core/gpu-detect.js';
export type * from './backend-api/backend.js';
export { resolveConfinedPath, MAX_SYMLINK_HOPS } from './backend-api/confined-path.js';
export type { ConfinedPath, ConfinedKind, ConfineOptions } from './backend-api/confined-path.js';
export { startGateway, loadRoutesFile, RoutesFileError } from './gateway/index.js';
export type { GatewayOptions, RunningGateway } from './gateway/index.js';
export { runClientCommand } from './cli/client-commands.js';
export { captureIO, processIO } from './cli/tools/cli-io.js';
export type { CapturedIO, CliIO, TextSink } from './cli/tools/cli-io.js';
export type * from './cli/perf/perf-report.js';
export { parseCacheConfig, CacheConfigError } from './cli/cache-config.js';
export type { CacheConfig, LocalCacheConfig, RedisCacheConfig, RedisTlsConfig } from './cli/cache-config.js';
export { LocalCacheStore } from './core/cache/cache-store.js';
export type { CacheStore, CacheLookup } from './core/cache/cache-store.js';
export { RedisCacheStore, REDIS_KEY_PREFIX } from './core/cache/redis-cache-store.js';
export type { CacheLogger } from './core/cache/redis-cache-store.js';
