/** The HTTP transport: browser-safe (global fetch, no node: imports, no grpc-js). */
export { HttpInferenceClient } from './http-client.js';
export type { HttpClientOptions, HttpCompressionOptions } from './http-options.js';
export type { GenerateOptions, GenerateRequest, GenerateResponse } from './generate-types.js';
export type { Job, JobCallOptions, JobStatus, SubmitJobOptions, WaitJobOptions } from './job-types.js';
