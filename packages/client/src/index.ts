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
export { P2PCall, type P2PCallEvents, type P2PCallOptions } from './webrtc/p2p.js';
export { SfuCall, type LiveKitRoomLike, type SfuCallEndReason, type SfuCallEvents, type SfuCallOptions } from './webrtc/sfu.js';
export { PttAudioDecoder, PushToTalk, type PttPacket } from './webrtc/ptt.js';
