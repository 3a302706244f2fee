// Generated code lives in ./gen (npm run gen); this file only names the packages.
export * as bus from './gen/switchboard/bus/v1/bus.js';
export * as rooms from './gen/switchboard/rooms/v1/rooms.js';
export * as presence from './gen/switchboard/presence/v1/presence.js';
export * as media from './gen/switchboard/media/v1/media.js';
export * as attestation from './gen/switchboard/attestation/v1/attestation.js';
export * as health from './gen/grpc/health/v1/health.js';
