import type { z } from 'zod';
import { channels, emoji } from './channels.js';
import { chat } from './chat.js';
import { lobby } from './lobby.js';
import { media } from './media.js';
import { presence } from './presence.js';
import { ptt } from './ptt.js';
import { floor, rooms } from './rooms.js';
import { session } from './session.js';
import { signaling } from './signaling.js';
import { IceServersForUsers, IceServersForUsersReply, LivenessReport, LivenessReportReply, MediaResumeBatch, MediaResumeBatchReply, MediaResumeReply, MediaResumeRequest, PttRecordReply, PttRecordRequest, RoomsResumeBatch, RoomsResumeBatchReply, RoomsResumeReply, RoomsResumeRequest } from './system.js';

export type ServiceName = 'gateway' | 'rooms' | 'presence' | 'media' | 'attestation';

export interface CommandSpec {
  /** Who answers: the gateway itself, or a service over `sb.cmd.<service>.<verb>`. */
  readonly service: ServiceName;
  readonly doc: string;
  /** The request's `data`. */
  readonly schema: z.ZodType;
  /** The `data` of `<verb>.ok`. */
  readonly reply: z.ZodType;
}

/** Every client verb of protocol v1. One source for validation, routing, typing and docs/protocol.md. */
export const COMMANDS = {
  ...session,
  ...rooms,
  ...floor,
  ...ptt,
  ...lobby,
  ...chat,
  ...channels,
  ...emoji,
  ...signaling,
  ...presence,
  ...media,
} as const satisfies Record<string, CommandSpec>;

export type Verb = keyof typeof COMMANDS;
/** A verb's request data as its handler gets it (parsed: defaults filled in). */
export type CommandData<V extends Verb> = z.output<(typeof COMMANDS)[V]['schema']>;
/** A verb's reply data as its handler returns it and the client receives it. */
export type Reply<V extends Verb> = z.input<(typeof COMMANDS)[V]['reply']>;

/**
 * Verbs services send each other (never clients), per serving service. A service's own verb
 * of the same name as a client verb (`session.resume`) is this internal one.
 */
export const INTERNAL_COMMANDS = {
  gateway: {},
  attestation: {},
  rooms: {
    'session.resume': { schema: RoomsResumeRequest, reply: RoomsResumeReply },
    'session.resume_batch': { schema: RoomsResumeBatch, reply: RoomsResumeBatchReply },
  },
  media: {
    'session.resume': { schema: MediaResumeRequest, reply: MediaResumeReply },
    'session.resume_batch': { schema: MediaResumeBatch, reply: MediaResumeBatchReply },
    'ptt.record': { schema: PttRecordRequest, reply: PttRecordReply },
    'ice.for_users': { schema: IceServersForUsers, reply: IceServersForUsersReply },
  },
  presence: { 'liveness.report': { schema: LivenessReport, reply: LivenessReportReply } },
} as const satisfies Record<ServiceName, Record<string, Pick<CommandSpec, 'schema' | 'reply'>>>;

type Internal<S extends ServiceName> = (typeof INTERNAL_COMMANDS)[S];
type ClientVerbOf<S extends ServiceName> = { [V in Verb]: (typeof COMMANDS)[V]['service'] extends S ? V : never }[Verb];
/** Every verb a service answers on `sb.cmd.<service>.>`: its client verbs and its internal ones. */
export type ServedVerb<S extends ServiceName> = ClientVerbOf<S> | (keyof Internal<S> & string);
type SpecOf<S extends ServiceName, V extends ServedVerb<S>> = V extends keyof Internal<S> ? Internal<S>[V] : V extends Verb ? (typeof COMMANDS)[V] : never;
type SchemaOf<S extends ServiceName, V extends ServedVerb<S>, K extends 'schema' | 'reply'> = SpecOf<S, V> extends Record<K, infer T extends z.ZodType> ? T : never;
/** What a sender passes as a served verb's request data. */
export type RequestInput<S extends ServiceName, V extends ServedVerb<S>> = z.input<SchemaOf<S, V, 'schema'>>;
/** A served verb's request data as its handler gets it. */
export type RequestData<S extends ServiceName, V extends ServedVerb<S>> = z.output<SchemaOf<S, V, 'schema'>>;
/** A served verb's reply data. */
export type ReplyOf<S extends ServiceName, V extends ServedVerb<S>> = z.input<SchemaOf<S, V, 'reply'>>;

export function commandSpec(verb: string): CommandSpec | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, verb) ? (COMMANDS as Record<string, CommandSpec>)[verb] : undefined;
}

/** The schemas a service serves a verb with: its internal verb of that name, else the client verb it owns. */
export function servedSpec(service: string, verb: string): Pick<CommandSpec, 'schema' | 'reply'> | undefined {
  const internal = (INTERNAL_COMMANDS as Record<string, Record<string, Pick<CommandSpec, 'schema' | 'reply'>>>)[service];
  if (internal && Object.prototype.hasOwnProperty.call(internal, verb)) return internal[verb];
  const spec = commandSpec(verb);
  return spec && spec.service === service ? spec : undefined;
}
