export * from './client.js';
export * from './servers.js';
