export * from './datatypes.js';
export * from './proto-root.js';
