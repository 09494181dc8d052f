/**
 * The route table of the HTTP/REST frontend: every path it serves, in one place. Paths follow the
 * KServe v2 (Open Inference Protocol) REST API and Triton's extensions (model repository,
 * statistics, model configuration, logging, trace, generate, system shared memory). The server
 * registers each row and answers any other method on a listed path with 405; unknown paths get 404.
 */

/** Names of the handlers a route can point to (bound to a core in `http-server.ts`). */
export type HandlerName =
  | 'live'
  | 'ready'
  | 'serverMetadata'
  | 'modelMetadata'
  | 'modelReady'
  | 'modelConfig'
  | 'modelStats'
  | 'allModelStats'
  | 'infer'
  | 'generate'
  | 'generateStream'
  | 'repositoryIndex'
  | 'repositoryLoad'
  | 'repositoryUnload'
  | 'namedRepository'
  | 'sharedMemory'
  | 'getLogging'
  | 'updateLogging'
  | 'getTrace'
  | 'updateTrace'
  | 'submitJob'
  | 'getJob'
  | 'jobResult'
  | 'cancelJob';

/** One row of the route table. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** A find-my-way path: `:model` and `:version` are path parameters. */
  readonly url: string;
  readonly handler: HandlerName;
}

const MODEL = '/v2/models/:model';
// Triton's shared-memory extension paths: `status` (GET) and `register` / `unregister` (POST), for
// all regions or for `region/{name}` (shared-memory-handlers.ts).
const SHARED_MEMORY: readonly RouteSpec[] = ['systemsharedmemory', 'cudasharedmemory'].flatMap((kind) =>
  ['', '/region/:region'].flatMap((region) => [
    { method: 'GET' as const, url: `/v2/${kind}${region}/status`, handler: 'sharedMemory' as const },
    { method: 'POST' as const, url: `/v2/${kind}${region}/register`, handler: 'sharedMemory' as const },
    { method: 'POST' as const, url: `/v2/${kind}${region}/unregister`, handler: 'sharedMemory' as const },
  ]),
);
const VERSIONED = '/v2/models/:model/versions/:version';

/**
 * Every route. `/v2/models/stats` is static and so wins over `/v2/models/:model` (as in Triton, a
 * model named "stats" cannot be read through the unversioned metadata path).
 *
 * @example
 * ```ts
 * ROUTES.find((r) => r.handler === 'infer')?.url // '/v2/models/:model/infer'
 * ```
 */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', url: '/v2', handler: 'serverMetadata' },
  { method: 'GET', url: '/v2/logging', handler: 'getLogging' },
  { method: 'POST', url: '/v2/logging', handler: 'updateLogging' },
  { method: 'GET', url: '/v2/trace/setting', handler: 'getTrace' },
  { method: 'POST', url: '/v2/trace/setting', handler: 'updateTrace' },
  { method: 'GET', url: `${MODEL}/trace/setting`, handler: 'getTrace' },
  { method: 'POST', url: `${MODEL}/trace/setting`, handler: 'updateTrace' },
  { method: 'GET', url: '/v2/health/live', handler: 'live' },
  { method: 'GET', url: '/v2/health/ready', handler: 'ready' },
  { method: 'GET', url: '/v2/models/stats', handler: 'allModelStats' },
  { method: 'GET', url: MODEL, handler: 'modelMetadata' },
  { method: 'GET', url: VERSIONED, handler: 'modelMetadata' },
  { method: 'GET', url: `${MODEL}/ready`, handler: 'modelReady' },
  { method: 'GET', url: `${VERSIONED}/ready`, handler: 'modelReady' },
  { method: 'GET', url: `${MODEL}/config`, handler: 'modelConfig' },
  { method: 'GET', url: `${VERSIONED}/config`, handler: 'modelConfig' },
  { method: 'GET', url: `${MODEL}/stats`, handler: 'modelStats' },
  { method: 'GET', url: `${VERSIONED}/stats`, handler: 'modelStats' },
  { method: 'POST', url: `${MODEL}/infer`, handler: 'infer' },
  { method: 'POST', url: `${VERSIONED}/infer`, handler: 'infer' },
  { method: 'POST', url: `${MODEL}/generate`, handler: 'generate' },
  { method: 'POST', url: `${VERSIONED}/generate`, handler: 'generate' },
  { method: 'POST', url: `${MODEL}/generate_stream`, handler: 'generateStream' },
  { method: 'POST', url: `${VERSIONED}/generate_stream`, handler: 'generateStream' },
  { method: 'POST', url: '/v2/repository/index', handler: 'repositoryIndex' },
  { method: 'POST', url: '/v2/repository/models/:model/load', handler: 'repositoryLoad' },
  { method: 'POST', url: '/v2/repository/models/:model/unload', handler: 'repositoryUnload' },
  { method: 'POST', url: '/v2/repository/:repository/index', handler: 'namedRepository' },
  { method: 'POST', url: '/v2/repository/:repository/models/:model/load', handler: 'namedRepository' },
  { method: 'POST', url: '/v2/repository/:repository/models/:model/unload', handler: 'namedRepository' },
  ...SHARED_MEMORY,
  // The async job API (docs/jobs.md), tensorgate's own.
  { method: 'POST', url: `${MODEL}/jobs`, handler: 'submitJob' },
  { method: 'POST', url: `${VERSIONED}/jobs`, handler: 'submitJob' },
  { method: 'GET', url: `${MODEL}/jobs/:id`, handler: 'getJob' },
  { method: 'GET', url: `${VERSIONED}/jobs/:id`, handler: 'getJob' },
  { method: 'DELETE', url: `${MODEL}/jobs/:id`, handler: 'cancelJob' },
  { method: 'DELETE', url: `${VERSIONED}/jobs/:id`, handler: 'cancelJob' },
  { method: 'GET', url: `${MODEL}/jobs/:id/result`, handler: 'jobResult' },
  { method: 'GET', url: `${VERSIONED}/jobs/:id/result`, handler: 'jobResult' },
];

/** Methods answered with 405 on a listed path they are not registered for. */
export const OTHER_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
