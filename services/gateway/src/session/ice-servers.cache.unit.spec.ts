import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Caller, CommandBus } from '@switchboard/platform';
import { ICE_BATCH_MAX_USERS } from '@switchboard/protocol';
import { gatewayConfig, silentLogger } from '../testing/fakes.test.js';
import { IceServersCache } from './ice-servers.cache.js';

const TTL_MS = 3600_000;

/** Answers like the media service with TURN configured: credentials per user, valid for TTL_MS. */
function fakeMedia() {
  const asked: string[] = [];
  const requests: string[][] = [];
  let mode: 'turn' | 'stun' | 'down' = 'turn';
  let n = 0;
  const bus = {
    request: async (service: string, verb: string, _caller: Caller, data: { userIds: string[] }) => {
      expect([service, verb]).toEqual(['media', 'ice.for_users']);
      requests.push(data.userIds);
      asked.push(...data.userIds);
      if (mode === 'down') throw new Error('unavailable');
      const stun = { urls: ['stun:stun.example:3478'] };
      return {
        users: data.userIds.map((userId) =>
          mode === 'stun' ? { userId, iceServers: [stun] } : { userId, iceServers: [stun, { urls: ['turn:turn.example:3478'], username: `${userId}#${++n}`, credential: 'x' }], expiresAt: Date.now() + TTL_MS },
        ),
      };
    },
  };
  return { bus: bus as unknown as CommandBus, asked, requests, set: (m: typeof mode) => (mode = m) };
}

const caller = (userId: string) => ({ userId, connectionId: `c_${userId}`, sessionId: 's', nodeId: 'gw', name: userId, device: '', roles: [] }) as Caller;
const turnUser = (servers: { username?: string }[]) => servers.find((s) => s.username)?.username;

describe('IceServersCache', () => {
  // Only the clock: the batch goes out on setImmediate.
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 11, 2, 12), toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  const cache = (bus: CommandBus, over: Parameters<typeof gatewayConfig>[0] = {}) => new IceServersCache(bus, gatewayConfig({ STUN_URLS: 'stun:fallback:3478', ...over }), silentLogger);

  it('reuses a user\'s TURN credentials for the first half of their lifetime, then asks media again', async () => {
    const media = fakeMedia();
    const ice = cache(media.bus);
    const first = await ice.forUser(caller('alice'));
    expect(turnUser(first)).toBe('alice#1');
    vi.advanceTimersByTime(TTL_MS / 2 - 1000);
    expect(turnUser(await ice.forUser(caller('alice')))).toBe('alice#1');
    expect(media.asked).toEqual(['alice']);
    // Past half their lifetime: fresh ones, so no client gets credentials with less than half left.
    vi.advanceTimersByTime(2000);
    expect(turnUser(await ice.forUser(caller('alice')))).toBe('alice#2');
    expect(media.asked).toEqual(['alice', 'alice']);
  });

  it('asks for the users of one tick in one request, each once, and keeps them apart', async () => {
    const media = fakeMedia();
    const ice = cache(media.bus);
    const [a1, a2, b] = await Promise.all([ice.forUser(caller('alice')), ice.forUser(caller('alice')), ice.forUser(caller('bob'))]);
    expect(media.requests).toEqual([['alice', 'bob']]);
    expect(turnUser(a1)).toBe(turnUser(a2));
    expect(turnUser(b)).toMatch(/^bob#/);
  });

  it('splits a storm larger than the batch limit into several requests', async () => {
    const media = fakeMedia();
    const ice = cache(media.bus);
    const users = Array.from({ length: ICE_BATCH_MAX_USERS + 3 }, (_, i) => `u${i}`);
    const servers = await Promise.all(users.map((u) => ice.forUser(caller(u))));
    expect(media.requests.map((r) => r.length)).toEqual([ICE_BATCH_MAX_USERS, 3]);
    expect(servers.map(turnUser)).toEqual(users.map((u) => expect.stringMatching(new RegExp(`^${u}#`))));
  });

  it('keeps at most ICE_CACHE_MAX_USERS users, the least recently used going first', async () => {
    const media = fakeMedia();
    const ice = cache(media.bus, { ICE_CACHE_MAX_USERS: '2' });
    await ice.forUser(caller('a'));
    await ice.forUser(caller('b'));
    await ice.forUser(caller('a')); // a is now the most recent
    await ice.forUser(caller('c')); // evicts b
    expect(ice.size).toBe(2);
    media.asked.length = 0;
    await ice.forUser(caller('a'));
    await ice.forUser(caller('b'));
    expect(media.asked).toEqual(['b']);
    expect(ice.size).toBe(2);
  });

  it('keeps nothing with ICE_CACHE_MAX_USERS=0, nothing without TURN credentials, and never a failure', async () => {
    const off = fakeMedia();
    const none = cache(off.bus, { ICE_CACHE_MAX_USERS: '0' });
    await none.forUser(caller('a'));
    await none.forUser(caller('a'));
    expect(off.asked).toEqual(['a', 'a']);
    expect(none.size).toBe(0);

    const media = fakeMedia();
    const ice = cache(media.bus);
    media.set('stun');
    expect(await ice.forUser(caller('a'))).toEqual([{ urls: ['stun:stun.example:3478'] }]);
    media.set('down');
    // Media not answering: the configured STUN defaults, and the next connect asks again.
    expect(await ice.forUser(caller('a'))).toEqual([{ urls: ['stun:fallback:3478'] }]);
    media.set('turn');
    expect(turnUser(await ice.forUser(caller('a')))).toBe('a#1');
    expect(media.asked).toEqual(['a', 'a', 'a']);
    expect(ice.size).toBe(1);
  });
});
