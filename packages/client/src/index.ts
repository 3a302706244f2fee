/**
 * @switchboard/client — the Switchboard SDK for browsers and Node.
 * @packageDocumentation
 */
export { connect, Switchboard, type ConnectOptions, type RequestOptions } from './switchboard.js';
export { ClientError } from './errors.js';
export { Emitter } from './emitter.js';
export type { Encoding, SocketFactory, SocketLike } from './transport.js';
export * from './types.js';
export { fetchServers, verifyServerListAsync, ServerListError, type ServerListKey, type ServerListCheckOptions } from './servers.js';
