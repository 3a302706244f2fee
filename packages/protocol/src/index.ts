export * from './errors.js';
export * from './common.js';
export * from './registry.js';
export * from './subjects.js';
export * from './types.js';
export * from './system.js';
export { CALL_END_REASONS, CALL_OUTCOMES, CHUNK_DATA_MAX_CHARS, type CallEndReason, type CallOutcome } from './media.js';
export * from './attestation.js';
