/**
 * Node-only additions: the low-level protocol client used by Switchboard's own tests and
 * load generators, and the synchronous server-list check on node:crypto.
 * @packageDocumentation
 */
export * from './index.js';
export { SwitchboardClient, type ConnectOptions as RawConnectOptions } from './test-client.js';
export { verifyServerList } from './servers.node.js';
