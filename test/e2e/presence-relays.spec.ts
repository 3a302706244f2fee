import { startGateway } from '@switchboard/gateway/service';
import { startPresence } from '@switchboard/presence/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '../support/stack.js';

/** Same environment as every presence spec (replicas of concurrent spec files share a queue group). */
const PRESENCE_ENV = { PRESENCE_TTL_MS: '3000', PRESENCE_LIVENESS_INTERVAL_MS: '500', PRESENCE_SWEEP_MS: '200', SESSION_POLICY: 'device' };
// Generous command timeout: the suite shares a small, busy machine.
const GATEWAY_ENV = { RATE_PER_SEC: '5000', RATE_BURST: '5000', REQUEST_TIMEOUT_MS: '10000' };
/** Chi-square critical value, 3 degrees of freedom, false-failure probability ≈ 1e-6. */
const CHI2_DF3_1E6 = 30.66;

type Relay = { connectionId: string; userId: string; capacity: number; connected: number; publicKey?: string };

describe('relay registry and rendezvous', () => {
  const stack = new Stack();
  let gwA: Awaited<ReturnType<typeof startGateway>>;
  let gwB: Awaited<ReturnType<typeof startGateway>>;
  let pr: Awaited<ReturnType<typeof startPresence>>;

  beforeAll(async () => {
    pr = await stack.add(startPresence(testEnv(PRESENCE_ENV)));
    await stack.add(startPresence(testEnv(PRESENCE_ENV)));
    gwA = await stack.add(startGateway(testEnv(GATEWAY_ENV)));
    gwB = await stack.add(startGateway(testEnv(GATEWAY_ENV)));
  });
  afterAll(() => stack.stop());

  it('lists only relays under 50 % load, each first about equally often, and forgets closed ones', async () => {
    const relay = async (gw: { httpPort: number }, capacity: number, connected: number) => {
      const c = await stack.client(gw, uid('relay'));
      await c.request('relay.register', { capacity, publicKey: `pk-${c.hello.connectionId}` });
      if (connected) await c.request('relay.update_load', { connected });
      return c;
    };
    const eligible = [await relay(gwA, 10, 0), await relay(gwB, 10, 2), await relay(gwA, 10, 4), await relay(gwB, 3, 1)];
    const full = [await relay(gwA, 10, 5), await relay(gwB, 10, 9), await relay(gwA, 1, 1)];
    const withdrawn = await relay(gwB, 10, 0);
    await withdrawn.request('relay.unregister');
    const mine = new Set([...eligible, ...full, withdrawn].map((c) => c.hello.connectionId));
    const eligibleIds = eligible.map((c) => c.hello.connectionId);

    const lister = await stack.client(gwB);
    const listMine = async () => ((await lister.request('relay.list', { limit: 100 })).relays as Relay[]).filter((r) => mine.has(r.connectionId));
    // Entries show up once their connections' opens have reached presence.
    await until(async () => (await listMine()).length === eligible.length, 'eligible relays listed');

    const runs = 400;
    const firsts = new Map<string, number>(eligibleIds.map((id) => [id, 0]));
    for (let i = 0; i < runs; i++) {
      const listed = await listMine();
      expect(listed.map((r) => r.connectionId).sort()).toEqual([...eligibleIds].sort());
      firsts.set(listed[0].connectionId, firsts.get(listed[0].connectionId)! + 1);
    }
    const expected = runs / eligibleIds.length;
    const chi2 = [...firsts.values()].reduce((s, n) => s + (n - expected) ** 2 / expected, 0);
    expect(chi2, `first-place counts ${[...firsts.values()].join(',')}`).toBeLessThan(CHI2_DF3_1E6);

    const sample = (await listMine()).find((r) => r.connectionId === eligibleIds[1])!;
    expect(sample).toEqual({ connectionId: eligibleIds[1], userId: eligible[1].hello.userId, capacity: 10, connected: 2, publicKey: `pk-${eligibleIds[1]}` });
    expect((await lister.request('relay.list', { limit: 1 })).relays).toHaveLength(1);
    // A relay does not get itself back.
    expect(((await eligible[0].request('relay.list', { limit: 100 })).relays as Relay[]).some((r) => r.connectionId === eligibleIds[0])).toBe(false);

    const metrics = await (await fetch(`http://127.0.0.1:${pr.httpPort}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(gauge('switchboard_relays_registered')).toBeGreaterThanOrEqual(7);
    expect(gauge('switchboard_relays_available')).toBeGreaterThanOrEqual(4);
    expect(gauge('switchboard_relays_capacity')).toBeGreaterThanOrEqual(54);
    expect(gauge('switchboard_relays_connected')).toBeGreaterThanOrEqual(22);
    expect(gauge('switchboard_presence_online_connections')).toBeGreaterThanOrEqual(9);

    await eligible[2].close();
    await until(async () => !(await listMine()).some((r) => r.connectionId === eligibleIds[2]), 'closed relay dropped');
    await eligible[3].request('relay.update_load', { connected: 2 });
    expect((await listMine()).map((r) => r.connectionId).sort()).toEqual([eligibleIds[0], eligibleIds[1]].sort());
  });

  it('exchanges dead drops on a shared daily point and matches live peers on an hourly token', async () => {
    const point = `point-${uid()}`;
    const token = `token-${uid()}`;
    const a = await stack.client(gwA, uid('alice'));
    const b = await stack.client(gwB, uid('bob'));
    const first = await a.request('rendezvous.register', { daily: [{ point, deadDrop: 'sealed-for-bob' }], hourly: [token], publicKey: 'pkA' });
    expect(first).toEqual({ deadDrops: [], live: [] });

    const second = await b.request('rendezvous.register', { daily: [{ point, deadDrop: 'sealed-for-alice' }], hourly: [token], publicKey: 'pkB' });
    expect(second.deadDrops).toEqual([{ point, deadDrop: 'sealed-for-bob' }]);
    expect(second.live).toEqual([{ token, peer: { connectionId: a.hello.connectionId, userId: a.hello.userId, publicKey: 'pkA' } }]);
    const match = await a.waitFor('rendezvous.match');
    expect(match.data).toEqual({ token, peer: { connectionId: b.hello.connectionId, userId: b.hello.userId, publicKey: 'pkB' } });

    // The earlier peer picks up the later drop next time; a point is per user (re-registering replaces).
    const again = await a.request('rendezvous.register', { daily: [{ point, deadDrop: 'sealed-for-bob-v2' }] });
    expect(again.deadDrops).toEqual([{ point, deadDrop: 'sealed-for-alice' }]);
    const later = await stack.client(gwA, uid('carol'));
    const third = await later.request('rendezvous.register', { daily: [{ point, deadDrop: 'c' }] });
    expect(third.deadDrops.map((d: { deadDrop: string }) => d.deadDrop).sort()).toEqual(['sealed-for-alice', 'sealed-for-bob-v2']);

    // Live tokens vanish with their connection; dead drops outlive it.
    await a.close();
    const c = await stack.client(gwB, uid('dave'));
    await until(async () => {
      const r = await c.request('rendezvous.register', { hourly: [token] });
      return r.live.length === 1 && r.live[0].peer.connectionId === b.hello.connectionId;
    }, 'closed peer dropped from the token');
    expect(await b.waitFor('rendezvous.match', (e) => (e.data as { peer: { connectionId: string } }).peer.connectionId === c.hello.connectionId)).toBeTruthy();
    expect(((await c.request('rendezvous.register', { daily: [{ point, deadDrop: 'd' }] })).deadDrops as { deadDrop: string }[]).map((d) => d.deadDrop)).toContain('sealed-for-bob-v2');
  });
});

