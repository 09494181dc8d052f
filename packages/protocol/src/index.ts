export * from './datatypes.js';
