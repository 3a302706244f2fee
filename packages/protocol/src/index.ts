export * from './errors.js';
export * from './common.js';
export * from './registry.js';
export * from './subjects.js';
export * from './types.js';
export * from './system.js';
export { CALL_END_REASONS, CALL_OUTCOMES, CHUNK_DATA_MAX_CHARS, MEDIA_EVENTS, type CallEndReason, type CallOutcome, type MediaEventData, type MediaEventType } from './media.js';
export * from './attestation.js';
export * from './lobby.js';
