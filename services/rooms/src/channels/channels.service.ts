import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, newId, RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { badRequest, conflict, forbidden, notFound, type ChannelView, type CommandData } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { ChannelsStore, type ChannelRefusal, type ChannelRow } from './channels.store.js';
import { DEFAULT_CHANNEL, toChannelView } from './channels.view.js';

const STAFF = ['owner', 'moderator'] as const;

function refusal(r: ChannelRefusal, max: number): Error {
  switch (r.refused) {
    case 'limit':
      return forbidden(`a room may have at most ${max} channels (archived ones count)`);
    case 'name_taken':
      return conflict('another channel of this room has that name');
    case 'not_found':
      return notFound('channel not found');
    case 'not_a_permutation':
      return badRequest('channelIds must list every channel of the room exactly once');
  }
}

/**
 * Named channels of a room (ADR 0050): owners and moderators create, rename, archive and
 * reorder them; chat verbs resolve a `channelId` here. The default channel is implicit.
 */
@Injectable()
export class ChannelsService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly store: ChannelsStore,
    private readonly events: RoomEventsPublisher,
    @Inject(CONFIG) private readonly config: RoomsConfig,
  ) {}

  async create(caller: Caller, data: CommandData<'channel.create'>): Promise<{ channel: ChannelView }> {
    await this.rooms.requireRole(data.roomId, caller.userId, [...STAFF]);
    const row = this.ok(await this.store.create({ id: newId('ch'), roomId: data.roomId, name: data.name, createdBy: caller.userId }, this.config.CHANNELS_MAX_PER_ROOM));
    const channel = toChannelView(row);
    await this.events.toRoom(data.roomId, 'channel.created', { channel });
    return { channel };
  }

  rename(caller: Caller, data: CommandData<'channel.rename'>): Promise<{ channel: ChannelView }> {
    return this.change(caller, data.roomId, data.channelId, { name: data.name });
  }

  archive(caller: Caller, data: CommandData<'channel.archive'>): Promise<{ channel: ChannelView }> {
    return this.change(caller, data.roomId, data.channelId, { archivedAt: data.archived ? new Date() : null });
  }

  async reorder(caller: Caller, data: CommandData<'channel.reorder'>): Promise<{ channels: ChannelView[] }> {
    await this.rooms.requireRole(data.roomId, caller.userId, [...STAFF]);
    const rows = this.ok(await this.store.reorder(data.roomId, data.channelIds));
    await this.events.toRoom(data.roomId, 'channel.reordered', { channelIds: rows.map((c) => c.id) });
    return { channels: rows.map(toChannelView) };
  }

  /**
   * The stored channel key for a chat verb's `channelId` (absent: the default channel).
   * `writable`: the channel must not be archived (`conflict`). Unknown ids are `not_found`.
   */
  async resolve(roomId: string, channelId: string | undefined, opts: { writable: boolean }): Promise<string> {
    if (channelId === undefined) return DEFAULT_CHANNEL;
    const row = await this.store.get(roomId, channelId);
    if (!row) throw notFound('channel not found in this room');
    if (opts.writable) this.requireOpen(row);
    return row.id;
  }

  /** Refuses writes to a message's channel once it is archived. */
  async requireWritable(roomId: string, channelKey: string): Promise<void> {
    if (channelKey === DEFAULT_CHANNEL) return;
    const row = await this.store.get(roomId, channelKey);
    if (row) this.requireOpen(row);
  }

  private requireOpen(row: ChannelRow): void {
    if (row.archivedAt) throw conflict(`channel ${row.name} is archived: its history is read-only`, { reason: 'archived', channelId: row.id });
  }

  private async change(caller: Caller, roomId: string, channelId: string, patch: { name?: string; archivedAt?: Date | null }): Promise<{ channel: ChannelView }> {
    await this.rooms.requireRole(roomId, caller.userId, [...STAFF]);
    const channel = toChannelView(this.ok(await this.store.update(roomId, channelId, patch)));
    await this.events.toRoom(roomId, 'channel.updated', { channel });
    return { channel };
  }

  private ok<T>(result: T | ChannelRefusal): T {
    if (result && typeof result === 'object' && 'refused' in result) throw refusal(result, this.config.CHANNELS_MAX_PER_ROOM);
    return result as T;
  }
}
