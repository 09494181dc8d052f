/**
 * Public surface of the HTTP/REST frontend: the factory, its options, the status mapping and the
 * pure infer-body codec (reused by tests and tools).
 */
export { createHttpFrontend, DEFAULT_HTTP_BODY_LIMIT_BYTES } from './http-server.js';
export type { HttpFrontend, HttpFrontendOptions } from './http-server.js';
export { httpStatusFor, HttpStatusError } from './http-status.js';
export { decodeInferRequest, encodeInferResponse } from './infer-json-codec.js';
export type { DecodedInferRequest, EncodedInferResponse, InferTarget, OutputEncoding } from './infer-json-codec.js';
export { ROUTES } from './routes.js';
export type { RouteSpec } from './routes.js';
