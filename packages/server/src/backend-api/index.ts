export type * from './backend.js';
export * from './confined-path.js';
