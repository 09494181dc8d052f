/**
 * `@tensorgate/client/http`: the HTTP client and the shared API, without grpc-js, for browsers and
 * for Node programs that only speak HTTP.
 *
 * @example
 * ```ts
 * import { HttpInferenceClient, InferInput } from '@tensorgate/client/http';
 * const client = new HttpInferenceClient('http://localhost:8000');
 * ```
 */
export * from './shared.js';
export * from './http/index.js';
export type { InferenceClient } from './inference-client.js';
