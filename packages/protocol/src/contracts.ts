import type { z } from 'zod';
import { eventSpec, type EventFamily } from './events.js';
import { servedSpec } from './registry.js';

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
