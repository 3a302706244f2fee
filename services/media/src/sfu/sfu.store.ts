import { Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';

/** A LiveKit participant as the media service last heard of it (webhooks, reconcile). */
export interface KnownParticipant {
  identity: string;
  userId: string;
  connectionId: string;
  participantSid: string;
}

const epochKey = (roomId: string) => `sb:{room:${roomId}}:sfu:epoch`;
const participantsKey = (roomId: string) => `sb:{room:${roomId}}:sfu:participants`;
const floorKey = (roomId: string) => `sb:{room:${roomId}}:sfu:floor`;
const ROOMS = 'sb:media:sfu:rooms';
const webhookKey = (id: string) => `sb:media:sfu:webhook:${id}`;
/** Room-level keys outlive a silent room by this much; reconcile and room_finished clean up before. */
const ROOM_TTL_S = 7 * 24 * 3600;

/**
 * SFU state in Redis, shared by media replicas: per-user access epochs of a room (bumped by a
 * kick, ban, leave or close; a token carries the epoch it was minted at), the LiveKit rooms we
 * created, the participants webhooks told us about, and the webhook ids already handled.
 */
@Injectable()
export class SfuStore {
  constructor(private readonly redis: Redis) {}

  async epoch(roomId: string, userId: string): Promise<number> {
    return Number((await this.redis.hget(epochKey(roomId), userId)) ?? 0);
  }

  /** Invalidates every token this user holds for the room; returns the new epoch. */
  async bumpEpoch(roomId: string, userId: string): Promise<number> {
    const [[, epoch]] = (await this.redis.multi().hincrby(epochKey(roomId), userId, 1).expire(epochKey(roomId), ROOM_TTL_S).exec()) as [[null, number]];
    return epoch;
  }

  /** Who holds the room's push-to-talk floor as rooms last announced it (ADR 0055); '' when free. */
  async floorHolder(roomId: string): Promise<string> {
    return (await this.redis.get(floorKey(roomId))) ?? '';
  }

  async setFloorHolder(roomId: string, userId: string): Promise<void> {
    if (userId) await this.redis.set(floorKey(roomId), userId, 'EX', ROOM_TTL_S);
    else await this.redis.del(floorKey(roomId));
  }

  async roomCreated(roomId: string): Promise<void> {
    await this.redis.sadd(ROOMS, roomId);
  }

  async rooms(): Promise<string[]> {
    return this.redis.smembers(ROOMS);
  }

  /** The room is gone from LiveKit: forget its participants (epochs stay, a closed room keeps refusing old tokens). */
  async roomGone(roomId: string): Promise<void> {
    // Two slots (docs/decisions/0031): the participants first, so a crash leaves the room listed and reconcile retries.
    await this.redis.del(participantsKey(roomId));
    await this.redis.srem(ROOMS, roomId);
  }

  /** True when the participant was not known yet. */
  async joined(roomId: string, p: KnownParticipant): Promise<boolean> {
    const [[, added]] = (await this.redis.multi().hset(participantsKey(roomId), p.identity, JSON.stringify(p)).expire(participantsKey(roomId), ROOM_TTL_S).exec()) as [[null, number]];
    return added === 1;
  }

  /** True when the participant was known (and is now forgotten). */
  async left(roomId: string, identity: string): Promise<boolean> {
    return (await this.redis.hdel(participantsKey(roomId), identity)) === 1;
  }

  async participants(roomId: string): Promise<KnownParticipant[]> {
    return Object.values(await this.redis.hgetall(participantsKey(roomId))).map((v) => JSON.parse(v) as KnownParticipant);
  }

  /** First sight of a webhook event id (LiveKit retries deliver the same id again). */
  async firstDelivery(eventId: string, ttlS: number): Promise<boolean> {
    return (await this.redis.set(webhookKey(eventId), '1', 'EX', ttlS, 'NX')) === 'OK';
  }

  /** Forgets an event id whose handling failed, so LiveKit's retry is handled. */
  async forgetDelivery(eventId: string): Promise<void> {
    await this.redis.del(webhookKey(eventId));
  }
}
