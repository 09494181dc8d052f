export * from './datatypes.js';
export * from './proto-root.js';
export * from './float16.js';
export * from './tensor-codec.js';
export * from './grpc-types.js';
