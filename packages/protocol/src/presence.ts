import { z } from 'zod';
import { Id } from './common.js';

const UserIds = z.object({ userIds: z.array(Id).min(1).max(500) });

export const presence = {
  'presence.set': {
    service: 'presence',
    doc: 'Sets own status.',
    schema: z.object({ status: z.enum(['online', 'away', 'busy', 'invisible']), text: z.string().max(200).optional() }),
  },
  'presence.subscribe': { service: 'presence', doc: 'Watches users; changes arrive as `presence.changed`.', schema: UserIds },
  'presence.unsubscribe': { service: 'presence', doc: 'Stops watching users.', schema: UserIds },
  'presence.query': { service: 'presence', doc: 'Reads presence once.', schema: UserIds },
  'relay.register': {
    service: 'presence',
    doc: 'Offers relay capacity.',
    schema: z.object({ capacity: z.number().int().min(1).max(100000), publicKey: z.string().max(1000).optional() }),
  },
  'relay.update_load': { service: 'presence', doc: 'Reports connected peers.', schema: z.object({ connected: z.number().int().min(0).max(100000) }) },
  'relay.unregister': { service: 'presence', doc: 'Withdraws the relay.', schema: z.object({}).optional() },
  'relay.list': { service: 'presence', doc: 'Relays under 50 % load, shuffled.', schema: z.object({ limit: z.number().int().min(1).max(100).optional() }).optional() },
  'rendezvous.register': {
    service: 'presence',
    doc: 'Registers daily meeting points (dead drops, 48 h) and hourly tokens (live match, 3 h); `publicKey` is passed to matched peers.',
    schema: z.object({
      daily: z.array(z.object({ point: z.string().min(8).max(128), deadDrop: z.string().max(4096) })).max(32).default([]),
      hourly: z.array(z.string().min(8).max(128)).max(32).default([]),
      publicKey: z.string().max(1000).optional(),
    }),
  },
} as const;
