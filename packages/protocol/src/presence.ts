import { z } from 'zod';
import { Id } from './common.js';
import { Empty, PeerSchema, PresenceViewSchema, RelayViewSchema } from './views.js';

/** Presence of the asked users, keyed by user id (as the caller may see it). */
const PresenceMap = z.strictObject({ presence: z.record(z.string(), PresenceViewSchema) });

const UserIds = z.object({ userIds: z.array(Id).min(1).max(500) });

export const presence = {
  'presence.set': {
    service: 'presence', reply: Empty,
    doc: 'Sets own status.',
    schema: z.object({ status: z.enum(['online', 'away', 'busy', 'invisible']), text: z.string().max(200).optional() }),
  },
  'presence.subscribe': { service: 'presence', reply: PresenceMap, doc: 'Watches users; changes arrive as `presence.changed`.', schema: UserIds },
  'presence.unsubscribe': { service: 'presence', reply: PresenceMap, doc: 'Stops watching users.', schema: UserIds },
  'presence.query': { service: 'presence', reply: PresenceMap, doc: 'Reads presence once.', schema: UserIds },
  'relay.register': {
    service: 'presence', reply: Empty,
    doc: 'Offers relay capacity.',
    schema: z.object({ capacity: z.number().int().min(1).max(100000), publicKey: z.string().max(1000).optional() }),
  },
  'relay.update_load': { service: 'presence', reply: Empty, doc: 'Reports connected peers.', schema: z.object({ connected: z.number().int().min(0).max(100000) }) },
  'relay.unregister': { service: 'presence', reply: Empty, doc: 'Withdraws the relay.', schema: z.object({}).optional() },
  'relay.list': { service: 'presence', reply: z.strictObject({ relays: z.array(RelayViewSchema) }), doc: 'Relays under 50 % load, shuffled.', schema: z.object({ limit: z.number().int().min(1).max(100).optional() }).optional() },
  'rendezvous.register': {
    service: 'presence', reply: z.strictObject({ deadDrops: z.array(z.strictObject({ point: z.string(), deadDrop: z.string() })), live: z.array(z.strictObject({ token: z.string(), peer: PeerSchema })) }),
    doc: 'Registers daily meeting points (dead drops, 48 h) and hourly tokens (live match, 3 h); `publicKey` is passed to matched peers.',
    schema: z.object({
      daily: z.array(z.object({ point: z.string().min(8).max(128), deadDrop: z.string().max(4096) })).max(32).default([]),
      hourly: z.array(z.string().min(8).max(128)).max(32).default([]),
      publicKey: z.string().max(1000).optional(),
    }),
  },
} as const;
