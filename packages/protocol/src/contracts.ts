import type { z } from 'zod';
import { eventSpec, type EventFamily } from './events.js';
import { ErrorFrameSchema, EventFrameSchema, ReplyFrameSchema } from './frames.js';
import { commandSpec, servedSpec } from './registry.js';

/**
 * Contract checks at the sender: in development and tests every reply and event is parsed
 * against its schema before it leaves, so a drift fails a test instead of a client.
 * Production skips them (the schemas are the same code; parsing every frame costs CPU).
 */
export const contractChecksEnabled = (): boolean => typeof process === 'undefined' || process.env?.NODE_ENV !== 'production';

/** A reply or event that breaks its schema: a bug in the sender, never the client's fault. */
export class ContractError extends Error {
  constructor(
    readonly what: string,
    readonly issues: string[],
  ) {
    super(`${what} breaks its contract: ${issues.join('; ')}`);
    this.name = 'ContractError';
  }
}

const issuesOf = (error: z.ZodError) => error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);

/** Throws ContractError when `data` is not what `service` may answer to `verb`. */
export function checkReply(service: string, verb: string, data: unknown): void {
  const spec = servedSpec(service, verb);
  if (!spec) throw new ContractError(`reply of ${service}.${verb}`, ['no such verb']);
  const parsed = spec.reply.safeParse(data);
  if (!parsed.success) throw new ContractError(`reply of ${service}.${verb}`, issuesOf(parsed.error));
}

/** Throws ContractError when an event is unknown, travels on the wrong family, or its data breaks its schema. */
export function checkEvent(type: string, data: unknown, family?: EventFamily): void {
  const spec = eventSpec(type);
  if (!spec) throw new ContractError(`event ${type}`, ['not in EVENTS (packages/protocol/src/events.ts)']);
  if (family && !spec.on.includes(family)) throw new ContractError(`event ${type}`, [`travels on ${spec.on.join('/')}, not ${family}`]);
  const parsed = spec.schema.safeParse(data);
  if (!parsed.success) throw new ContractError(`event ${type}`, issuesOf(parsed.error));
}

/** What `checkServerFrame` found a frame to be. */
export type ServerFrameKind = { kind: 'reply'; re: string; verb: string } | { kind: 'error'; re?: string; code: string } | { kind: 'event'; type: string };

/**
 * Checks one decoded frame as a client receives it (after the gateway, its hooks and the wire
 * encoding): the envelope, then a reply's `data` against its verb's reply schema or an event's
 * against EVENTS. Throws ContractError on any drift. The fuzzer and client-side tests use it;
 * the senders check their own part with checkReply / checkEvent.
 */
export function checkServerFrame(frame: unknown): ServerFrameKind {
  const type = frame && typeof frame === 'object' ? (frame as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') throw new ContractError('server frame', ['type: not a string']);
  if (type === 'error') {
    const parsed = ErrorFrameSchema.safeParse(frame);
    if (!parsed.success) throw new ContractError('error frame', issuesOf(parsed.error));
    return { kind: 'error', re: parsed.data.re, code: parsed.data.error.code };
  }
  if ((frame as { re?: unknown }).re !== undefined) {
    const parsed = ReplyFrameSchema.safeParse(frame);
    if (!parsed.success) throw new ContractError(`reply ${type}`, issuesOf(parsed.error));
    const verb = type.slice(0, -'.ok'.length);
    const spec = commandSpec(verb);
    if (!spec) throw new ContractError(`reply ${type}`, [`${verb} is not a verb in COMMANDS`]);
    const data = spec.reply.safeParse(parsed.data.data);
    if (!data.success) throw new ContractError(`reply ${type}`, issuesOf(data.error));
    return { kind: 'reply', re: parsed.data.re, verb };
  }
  const parsed = EventFrameSchema.safeParse(frame);
  if (!parsed.success) throw new ContractError(`event ${type}`, issuesOf(parsed.error));
  // Only a room's ordered stream numbers its events.
  checkEvent(type, parsed.data.data, parsed.data.seq !== undefined ? 'room' : undefined);
  return { kind: 'event', type };
}
