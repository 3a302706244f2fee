import type { ChannelView } from '@switchboard/protocol';
import type { ChannelRow } from './channels.store.js';

/** The key of the room's default channel in rows (`channel_id`); it has no id on the wire. */
export const DEFAULT_CHANNEL = '';

export function toChannelView(c: ChannelRow): ChannelView {
  return { id: c.id, name: c.name, position: c.position, archived: c.archivedAt !== null, createdBy: c.createdBy, createdAt: c.createdAt.getTime() };
}

/** `channelId` as events and views carry it: absent for the default channel. */
export const channelField = (channelId: string): { channelId?: string } => (channelId === DEFAULT_CHANNEL ? {} : { channelId });
