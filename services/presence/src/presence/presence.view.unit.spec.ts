import { describe, expect, it } from 'vitest';
import { presenceView } from './presence.view.js';

const base = { userId: 'u1', status: 'online' as const, text: '', lastSeen: 1000, devices: ['phone'] };

describe('presenceView', () => {
  it('shows a connected user with distinct sorted devices and lastSeen = now', () => {
    expect(presenceView({ ...base, devices: ['phone', 'laptop', 'phone', ''] }, 'viewer', 5000)).toEqual({ status: 'online', lastSeen: 5000, devices: ['default', 'laptop', 'phone'] });
  });

  it('shows nobody connected as offline with the stored lastSeen, whatever the chosen status', () => {
    expect(presenceView({ ...base, status: 'busy', text: 'x', devices: [] }, 'viewer', 5000)).toEqual({ status: 'offline', lastSeen: 1000, devices: [] });
  });

  it('hides invisible users from others but not from themselves', () => {
    const inv = { ...base, status: 'invisible' as const };
    expect(presenceView(inv, 'viewer', 5000)).toEqual({ status: 'offline', lastSeen: 1000, devices: [] });
    expect(presenceView(inv, 'u1', 5000)).toEqual({ status: 'invisible', lastSeen: 1000, devices: ['phone'] });
  });

  it('carries status text only when set', () => {
    expect(presenceView({ ...base, status: 'away', text: 'lunch' }, 'v', 1)).toMatchObject({ status: 'away', text: 'lunch' });
    expect(presenceView(base, 'v', 1)).not.toHaveProperty('text');
  });
});
