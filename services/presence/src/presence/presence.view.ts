import type { PresenceView } from '@switchboard/protocol';
import type { RawPresence } from './presence.store.js';

export type { PresenceView };
export type VisibleStatus = PresenceView['status'];

/**
 * What `viewer` may see of a user: invisible (or unconnected) users look offline with no
 * devices to everyone but themselves; online users' lastSeen is now.
 */
export function presenceView(p: RawPresence, viewerId: string, now = Date.now()): PresenceView {
  const self = viewerId === p.userId;
  const connected = p.devices.length > 0;
  if (!connected) return { status: 'offline', lastSeen: p.lastSeen, devices: [] };
  if (p.status === 'invisible' && !self) return { status: 'offline', lastSeen: p.lastSeen, devices: [] };
  const view: PresenceView = { status: p.status, lastSeen: p.status === 'invisible' ? p.lastSeen : now, devices: distinct(p.devices) };
  if (p.text) view.text = p.text;
  return view;
}

function distinct(devices: string[]): string[] {
  return [...new Set(devices.map((d) => d || 'default'))].sort();
}
