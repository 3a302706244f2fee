import { mark, marker } from '@switchboard/platform';
import type { ConnectionRecord } from './liveness.store.js';

export type GoneReason = 'closed' | 'expired';

type Method<F> = (target: object, key: string | symbol, descriptor: { value?: F }) => void;

/** Gets the new connections of one report together (a storm's report carries hundreds; ADR 0068). */
export type OpenedReaction = (recs: ConnectionRecord[]) => Promise<void> | void;
export const ON_CONNECTION_OPENED = marker<Record<string, never>>('on-connection-opened');
/** `@OnConnectionOpened()`: runs once per report's new connections, on the replica that registered them (any number). */
export const OnConnectionOpened = (): Method<OpenedReaction> => (target, key, descriptor) => mark(ON_CONNECTION_OPENED, {})(target, key, descriptor as PropertyDescriptor);

export type GoneReaction = (rec: ConnectionRecord, reason: GoneReason) => Promise<void> | void;
export const ON_CONNECTION_GONE = marker<Record<string, never>>('on-connection-gone');
/** `@OnConnectionGone()`: runs once per ended connection, on the replica that claimed its end; failures are logged (any number). */
export const OnConnectionGone = (): Method<GoneReaction> => (target, key, descriptor) => mark(ON_CONNECTION_GONE, {})(target, key, descriptor as PropertyDescriptor);
