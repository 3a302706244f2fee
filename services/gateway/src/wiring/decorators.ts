import { commandDecorator, mark, marker, type CommandDecorator } from '@switchboard/platform';
import type { CommandData, EventType, Reply, Verb } from '@switchboard/protocol';
import { CONNECTION_PROBE_EVENT } from '@switchboard/protocol';
import type { Connection, DeliveredEvent } from '../connections/connection.js';

/**
 * The gateway's wiring decorators. Each marks the method that does the work; GatewayWiring
 * finds them at start-up and refuses a second claim on the same verb or event (ADR 0040).
 */

/** `@Command(verb)`: a verb the gateway answers itself (`service: 'gateway'` in the registry); `(data, conn) => reply`. */
export const Command: CommandDecorator<'gateway', Connection> = commandDecorator<'gateway', Connection>('gateway');

/** Events a gateway method may react to: client events and the control probe. */
export type GatewayEventType = EventType | typeof CONNECTION_PROBE_EVENT;
type Method<F> = (target: object, key: string | symbol, descriptor: { value?: F }) => void;
const decorate =
  <M, F>(m: ReturnType<typeof marker<M>>, meta: M): Method<F> =>
  (target, key, descriptor) => {
    mark(m, meta)(target, key, descriptor as PropertyDescriptor);
  };

/** Wraps the forwarding of one service verb: runs before the request, gets its typed reply. */
export type ForwardWrapper<V extends Verb> = (data: CommandData<V>, conn: Connection, send: () => Promise<Reply<V>>) => Promise<Reply<V>>;
export const BEFORE_FORWARD = marker<{ verb: Verb }>('before-forward');
/**
 * `@BeforeForward(verb)`: the method runs around the NATS request of `verb` and calls `send()`
 * (e.g. subscribe first, send, release on failure), or answers itself when this replica holds
 * all the verb needs (broadcast and typing of a vouched seat, ADR 0062). One per verb.
 */
export const BeforeForward = <V extends Verb>(verb: V): Method<ForwardWrapper<V>> => decorate(BEFORE_FORWARD, { verb });

/** Answers one service verb at this replica, or returns undefined to leave it to `@BeforeForward` and the service. */
export type HereAnswer<V extends Verb> = (data: CommandData<V>, conn: Connection) => Reply<V> | undefined;
export const ANSWER_HERE = marker<{ verb: Verb }>('answer-here');
/**
 * `@AnswerHere(verb)`: tried before the verb's span is started, synchronously; a reply answers the
 * command with no span and no request (a vouched seat's broadcast, ADR 0062/0100), undefined sends it
 * on as usual. Only for answers that log nothing and call no other process (a trace would have
 * nothing to join, as for `signal`, ADR 0057). One per verb.
 */
export const AnswerHere = <V extends Verb>(verb: V): Method<HereAnswer<V>> => decorate(ANSWER_HERE, { verb });

export type EventReaction = (conn: Connection, event: DeliveredEvent) => void;
export const ON_EVENT = marker<{ type: GatewayEventType }>('on-event');
/** `@OnEvent(type)`: runs after an event of `type` was written to an addressed connection. One per type. */
export const OnEvent = (type: GatewayEventType): Method<EventReaction> => decorate(ON_EVENT, { type });

/** 'ok' or an error code, answering events that were sent as requests. */
export type EventInterceptor = (conn: Connection, event: DeliveredEvent) => string | Promise<string>;
export const INTERCEPT_EVENT = marker<{ type: GatewayEventType }>('intercept-event');
/** `@InterceptEvent(type)`: takes over delivery of `type` (checks before the client sees it). One per type. */
export const InterceptEvent = (type: GatewayEventType): Method<EventInterceptor> => decorate(INTERCEPT_EVENT, { type });

export type FrameInterceptor = (conn: Connection, raw: Buffer) => boolean;
export const INTERCEPT_FRAMES = marker<Record<string, never>>('intercept-frames');
/**
 * `@InterceptFrames()`: sees every client frame before the command path (and its rate limit)
 * and returns true to take it (push-to-talk audio has its own budget). At most one.
 */
export const InterceptFrames = (): Method<FrameInterceptor> => decorate(INTERCEPT_FRAMES, {});

export type LeftListener = (conn: Connection, roomId: string) => unknown;
export const ON_ROOM_LEFT = marker<Record<string, never>>('on-room-left');
/** `@OnRoomLeft()`: a local connection stopped following a room (leave, removal, close). Any number. */
export const OnRoomLeft = (): Method<LeftListener> => decorate(ON_ROOM_LEFT, {});

export type ClosedListener = (conn: Connection) => unknown;
export const ON_CONNECTION_CLOSED = marker<Record<string, never>>('on-connection-closed');
/** `@OnConnectionClosed()`: forget what a domain keeps per connection (any number of them; a returned promise's failure is logged). */
export const OnConnectionClosed = (): Method<ClosedListener> => decorate(ON_CONNECTION_CLOSED, {});
