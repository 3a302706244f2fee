import { z } from 'zod';
import { Id, Text } from './common.js';
import type { RoomView } from './types.js';
import { Empty, RoomViewSchema } from './views.js';

/** What a `rooms.subscribe` watcher wants to see; every field narrows (all public rooms when empty). */
export const RoomFilter = z.object({
  kind: z.enum(['p2p', 'sfu', 'group']).optional(),
  joinPolicy: z.enum(['open', 'approval']).optional(),
  /** Case-insensitive substring of the room name. */
  nameContains: Text(1, 100).optional(),
});
export type RoomFilter = z.output<typeof RoomFilter>;

/** Limits of the live room registry (docs/rooms.md, ADR 0024). */
export const LOBBY_LIMITS = {
  /** Rooms in one `rooms.subscribe` snapshot (and the reply byte budget): a lobby, not an export. */
  snapshotMax: 100,
  /** Rooms one coalesced notice from a rooms replica carries; more go in further notices. */
  noticeMaxRooms: 500,
} as const;

export const lobby = {
  'rooms.subscribe': {
    service: 'rooms',
    reply: z.strictObject({ rooms: z.array(RoomViewSchema), truncated: z.boolean() }),
    doc: 'Watches the public rooms: replies with a snapshot {rooms[], truncated} (at most `limit` ≤ 100, newest first), then `rooms.changed` {updated[], closed[]} at most once per second. One subscription per connection: subscribing again replaces the filter.',
    schema: z.object({ filter: RoomFilter.optional(), limit: z.number().int().min(1).max(LOBBY_LIMITS.snapshotMax).optional() }),
  },
  'rooms.unsubscribe': { service: 'gateway', reply: Empty, doc: 'Stops `rooms.changed` events.', schema: z.object({}).optional() },
} as const;

/** Topic of `sb.sys.rooms.changed`: a rooms replica's coalesced registry changes, read by every gateway. */
export const ROOMS_CHANGED_TOPIC = 'rooms.changed';

/** A public room's latest state as the registry notice carries it (the RoomView fields). */
const LobbyRoom = z.looseObject({ id: Id, name: z.string(), kind: z.enum(['p2p', 'sfu', 'group']), joinPolicy: z.enum(['open', 'approval']), participantCount: z.number().int().min(0) });

/** Body of `sb.sys.rooms.changed` and of the client's `rooms.changed` event. */
export const RoomsChangedNotice = z.object({
  updated: z.array(LobbyRoom).max(LOBBY_LIMITS.noticeMaxRooms),
  closed: z.array(Id).max(LOBBY_LIMITS.noticeMaxRooms),
});
export type RoomsChangedNotice = { updated: RoomView[]; closed: string[] };
/** What RoomsChangedNotice parses (RoomView objects, checked for the fields the gateway filters on). */
export type RoomsChangedNoticeInput = z.input<typeof RoomsChangedNotice>;

/** Whether a room passes a watcher's filter; the rooms service (snapshot) and the gateway (changes) both use it. */
export function roomMatches(room: Pick<RoomView, 'name' | 'kind' | 'joinPolicy'>, filter: RoomFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.kind && room.kind !== filter.kind) return false;
  if (filter.joinPolicy && room.joinPolicy !== filter.joinPolicy) return false;
  if (filter.nameContains && !room.name.toLowerCase().includes(filter.nameContains.toLowerCase())) return false;
  return true;
}
