/** The transport-independent part of the API, re-exported by every entry point. */
export * from './errors.js';
export * from './options.js';
export * from './retry.js';
export * from './server-types.js';
export * from './infer-input.js';
export * from './infer-requested-output.js';
export * from './infer-result.js';
export { cancelledError, type CallSignal } from './call-signal.js';
