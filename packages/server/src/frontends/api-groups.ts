/**
 * The one table of which API group (`--http-restricted-api`, `--grpc-restricted-protocol`) each
 * endpoint belongs to, for every HTTP route (KServe v2 and OpenAI `/v1`) and every gRPC method
 * the server serves. Triton's assignments where Triton has the endpoint (src/http_server.cc,
 * src/grpc/grpc_server.cc: model readiness is `health`, as there); tensorgate's own endpoints go
 * where they let a client do the same thing (`/v1`, `llm.LLMService` and generate run models:
 * `inference`).
 *
 * The HTTP and OpenAI parts are keyed by handler name, so the compiler refuses a route table
 * entry without a group; the gRPC part is keyed by method path, and the frontend refuses to start
 * when a served method has no row (a test checks every method of the protos has one).
 */
import type { ConsoleHandlerName } from './console/console-routes.js';
import type { HandlerName } from './http/routes.js';
import type { OpenAiHandlerName } from './openai/routes.js';
import type { ApiGroup } from './restricted-apis.js';

/** The group of each endpoint, per route table. */
export interface ApiGroupTable {
  /** KServe v2 / Triton HTTP routes (`http/routes.ts`), by handler. */
  readonly http: Readonly<Record<HandlerName, ApiGroup>>;
  /** OpenAI-compatible `/v1` routes (`openai/routes.ts`), by handler. */
  readonly openai: Readonly<Record<OpenAiHandlerName, ApiGroup>>;
  /** gRPC methods, by `/package.Service/Method`. */
  readonly grpc: Readonly<Record<string, ApiGroup>>;
  /** The web console's API routes (`console/console-routes.ts`, with `--console`), by handler. */
  readonly console: Readonly<Record<ConsoleHandlerName, ApiGroup>>;
}

const INFERENCE = '/inference.GRPCInferenceService';

/**
 * The table.
 *
 * @example
 * ```ts
 * API_GROUP_TABLE.http.repositoryLoad; // 'model-repository'
 * API_GROUP_TABLE.grpc['/inference.GRPCInferenceService/LogSettings']; // 'logging'
 * ```
 */
export const API_GROUP_TABLE: ApiGroupTable = {
  http: {
    live: 'health',
    ready: 'health',
    modelReady: 'health',
    serverMetadata: 'metadata',
    modelMetadata: 'metadata',
    infer: 'inference',
    generate: 'inference',
    generateStream: 'inference',
    submitJob: 'inference',
    getJob: 'inference',
    jobResult: 'inference',
    cancelJob: 'inference',
    sharedMemory: 'shared-memory',
    modelConfig: 'model-config',
    repositoryIndex: 'model-repository',
    repositoryLoad: 'model-repository',
    repositoryUnload: 'model-repository',
    namedRepository: 'model-repository',
    modelStats: 'statistics',
    allModelStats: 'statistics',
    getLogging: 'logging',
    updateLogging: 'logging',
    getTrace: 'trace',
    updateTrace: 'trace',
  },
  openai: {
    listModels: 'inference',
    retrieveModel: 'inference',
    completions: 'inference',
    chatCompletions: 'inference',
    embeddings: 'inference',
  },
  grpc: {
    [`${INFERENCE}/ServerLive`]: 'health',
    [`${INFERENCE}/ServerReady`]: 'health',
    [`${INFERENCE}/ModelReady`]: 'health',
    '/grpc.health.v1.Health/Check': 'health',
    '/grpc.health.v1.Health/Watch': 'health',
    [`${INFERENCE}/ServerMetadata`]: 'metadata',
    [`${INFERENCE}/ModelMetadata`]: 'metadata',
    [`${INFERENCE}/ModelInfer`]: 'inference',
    [`${INFERENCE}/ModelStreamInfer`]: 'inference',
    '/llm.LLMService/Generate': 'inference',
    '/llm.LLMService/StreamGenerate': 'inference',
    [`${INFERENCE}/SystemSharedMemoryStatus`]: 'shared-memory',
    [`${INFERENCE}/SystemSharedMemoryRegister`]: 'shared-memory',
    [`${INFERENCE}/SystemSharedMemoryUnregister`]: 'shared-memory',
    [`${INFERENCE}/CudaSharedMemoryStatus`]: 'shared-memory',
    [`${INFERENCE}/CudaSharedMemoryRegister`]: 'shared-memory',
    [`${INFERENCE}/CudaSharedMemoryUnregister`]: 'shared-memory',
    [`${INFERENCE}/ModelConfig`]: 'model-config',
    [`${INFERENCE}/RepositoryIndex`]: 'model-repository',
    [`${INFERENCE}/RepositoryModelLoad`]: 'model-repository',
    [`${INFERENCE}/RepositoryModelUnload`]: 'model-repository',
    [`${INFERENCE}/ModelStatistics`]: 'statistics',
    [`${INFERENCE}/TraceSetting`]: 'trace',
    [`${INFERENCE}/LogSettings`]: 'logging',
  },
  console: {
    consoleServer: 'metadata',
    consoleStats: 'statistics',
  },
};

/**
 * The group of every rpc of the custom gRPC services (`--grpc-services`, docs/grpc-services.md):
 * `inference`, Triton's group for running models, which is what such services do. A deployment
 * that guards inference with a header guards them with the same one.
 */
export const CUSTOM_SERVICE_GROUP: ApiGroup = 'inference';

/**
 * The group of gRPC server reflection (grpc.reflection.v1 / v1alpha): `metadata`, the group of
 * ServerMetadata and ModelMetadata, since it describes what the server serves.
 */
export const REFLECTION_GROUP: ApiGroup = 'metadata';

/**
 * The group of a gRPC method; throws for a method the table lacks, so a new RPC cannot be
 * served unassigned.
 */
export function grpcMethodGroup(path: string): ApiGroup {
  const group = Object.hasOwn(API_GROUP_TABLE.grpc, path) ? API_GROUP_TABLE.grpc[path] : undefined;
  if (group === undefined) {
    throw new Error(`gRPC method ${path} has no API group: add it to API_GROUP_TABLE (frontends/api-groups.ts)`);
  }
  return group;
}

/** The groups that have at least one endpoint on `protocol` (HTTP includes `/v1`). */
export function groupsServedOn(protocol: 'http' | 'grpc'): Set<ApiGroup> {
  const rows =
    protocol === 'http'
      ? [
          ...Object.values(API_GROUP_TABLE.http),
          ...Object.values(API_GROUP_TABLE.openai),
          ...Object.values(API_GROUP_TABLE.console),
        ]
      : Object.values(API_GROUP_TABLE.grpc);
  return new Set(rows);
}
