import { startGateway } from '@switchboard/gateway/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';

/**
 * Issue 10 item 11: pairing cannot be brute-forced or used to spam. Limits hold across gateway
 * replicas (Redis): connections per user, failed code lookups per user, requests per target.
 */
describe('pairing and connection limits across two gateways', () => {
  const stack = new Stack();
  let gwA: Awaited<ReturnType<typeof startGateway>>;
  let gwB: Awaited<ReturnType<typeof startGateway>>;
  const env = () => testEnv({ MAX_CONNECTIONS_PER_USER: '3', PAIR_MAX_FAILED_LOOKUPS: '3', PAIR_MAX_REQUESTS_PER_TARGET: '2', NODE_ID: uid('gw') });

  beforeAll(async () => {
    gwA = await stack.add(startGateway(env()));
    gwB = await stack.add(startGateway(env()));
  });
  afterAll(() => stack.stop());

  it('caps the live connections of one user across replicas, and frees a slot on close', async () => {
    const user = uid('many');
    const held = [await stack.client(gwA, user), await stack.client(gwA, user), await stack.client(gwB, user)];
    await expect(stack.client(gwB, user)).rejects.toMatchObject({ code: 'http', details: { status: 429 } });
    await expect(stack.client(gwA, user)).rejects.toMatchObject({ code: 'http', details: { status: 429 } });
    // other users are unaffected
    await stack.client(gwA, uid('other'));
    await held[0].close();
    const again = await until(() => stack.client(gwB, user).catch(() => undefined), 'a freed slot');
    expect(again.hello.userId).toBe(user);
  });

  it('limits failed code lookups per user, on every replica', async () => {
    const owner = await stack.client(gwA, uid('owner'));
    const { code } = await owner.request('pair.register', {});
    const guesser = uid('guess');
    const g1 = await stack.client(gwA, guesser);
    const g2 = await stack.client(gwB, guesser);
    const wrong = code === 'AAAAAA' ? 'BBBBBB' : 'AAAAAA';
    for (const c of [g1, g2, g1]) await expect(c.request('pair.request', { code: wrong })).rejects.toMatchObject({ code: 'not_found' });
    // out of guesses: even the right code is refused now, on either replica, and the owner hears nothing
    for (const c of [g1, g2]) {
      const err = await c.request('pair.request', { code }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'rate_limited' });
    }
    expect(owner.events.filter((e) => e.type === 'pair.requested')).toHaveLength(0);
    // someone else still pairs
    await expect((await stack.client(gwB, uid('honest'))).request('pair.request', { code })).resolves.toMatchObject({ requestId: expect.any(String) });
  });

  it('limits pair requests per target, whoever sends them', async () => {
    const owner = await stack.client(gwA, uid('owner'));
    const { code } = await owner.request('pair.register', {});
    const senders = [await stack.client(gwA, uid('s')), await stack.client(gwB, uid('s')), await stack.client(gwB, uid('s'))];
    await senders[0].request('pair.request', { code });
    await senders[1].request('pair.request', { code });
    await expect(senders[2].request('pair.request', { code })).rejects.toMatchObject({ code: 'rate_limited' });
    await until(() => owner.events.filter((e) => e.type === 'pair.requested').length === 2, 'two requests delivered');
    // a later sender's request would have arrived after the refused one; none did
    const other = await stack.client(gwA, uid('owner2'));
    const { code: code2 } = await other.request('pair.register', {});
    await senders[2].request('pair.request', { code: code2 });
    await other.waitFor('pair.requested');
    expect(owner.events.filter((e) => e.type === 'pair.requested')).toHaveLength(2);
  });
});
