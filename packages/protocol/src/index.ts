export * from './errors.js';
export * from './common.js';
export * from './registry.js';
export * from './subjects.js';
export * from './types.js';
export * from './system.js';
