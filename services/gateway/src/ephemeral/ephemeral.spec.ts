import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import type { SwitchboardClient } from '@switchboard/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid } from '@switchboard/testing/stack';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** Requests this replica sent to rooms for `verb` (its NATS request histogram), to tell which side answered. */
async function roomsRequests(gw: Gateway, verb: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('switchboard_nats_request_duration_seconds_count{') && l.includes('service="rooms"') && l.includes(`verb="${verb}"`))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

const broadcasts = (c: SwitchboardClient, roomId: string) => c.events.filter((e) => e.type === 'room.broadcast' && e.room === roomId).map((e) => (e.data as { data: unknown }).data);

/**
 * Broadcast and typing answered by the sender's gateway (ADR 0062): real NATS, Redis, Postgres,
 * rooms and two gateway replicas. The gateway vouches only for seats it saw settle and whose
 * room events it has not missed; everything else still goes to rooms.
 */
describe('room.broadcast and chat.typing authorized at the gateway', () => {
  const stack = new Stack();
  let gwA: Gateway;
  let gwB: Gateway;
  const env = { REQUEST_TIMEOUT_MS: '15000', TYPING_TTL_MS: '300', SWEEP_INTERVAL_MS: '50', DISCONNECT_GRACE_MS: '300' };

  beforeAll(async () => {
    await stack.add(startRooms(testEnv(env)));
    gwA = await stack.add(startGateway(testEnv(env)));
    gwB = await stack.add(startGateway(testEnv(env)));
  });
  afterAll(() => stack.stop());

  /** An open group room of `owner` with `members` joined (each on its own gateway). */
  async function room(owner: SwitchboardClient, ...members: SwitchboardClient[]): Promise<string> {
    const { room } = await owner.request('room.create', { name: uid('fan'), kind: 'group', joinPolicy: 'open' });
    for (const m of members) await m.request('room.join', { roomId: room.id });
    return room.id as string;
  }

  it('reaches every other member on both replicas exactly once, never the sender, without asking rooms', async () => {
    const alice = await stack.client(gwA);
    const carol = await stack.client(gwA);
    const bob = await stack.client(gwB);
    const dave = await stack.client(gwB);
    const roomId = await room(alice, carol, bob, dave);
    const before = await roomsRequests(gwA, 'room.broadcast');

    const payloads = [{ n: 1 }, [1, 'two'], 'three'];
    for (const data of payloads) expect(await alice.request('room.broadcast', { roomId, data })).toEqual({});
    // One publisher (alice's replica): NATS keeps its order, so 'end' comes after every payload.
    await alice.request('room.broadcast', { roomId, data: 'end' });
    for (const c of [carol, bob, dave]) {
      await c.waitFor('room.broadcast', (e) => e.room === roomId && (e.data as { data: unknown }).data === 'end');
      expect(broadcasts(c, roomId)).toEqual([...payloads, 'end']);
      const first = c.events.find((e) => e.type === 'room.broadcast' && e.room === roomId)!;
      expect(first.seq).toBeUndefined();
      expect(first.data).toEqual({ from: { userId: alice.hello.userId, connectionId: alice.hello.connectionId }, data: payloads[0] });
    }
    // Carol's mark leaves the same replica after alice's broadcasts: alice would have had hers by now.
    await carol.request('room.broadcast', { roomId, data: 'mark' });
    await alice.waitFor('room.broadcast', (e) => e.room === roomId);
    expect(broadcasts(alice, roomId)).toEqual(['mark']);
    expect(await roomsRequests(gwA, 'room.broadcast')).toBe(before);
  });

  it('a kicked or left connection can no longer broadcast or type; the others get nothing from it', async () => {
    const owner = await stack.client(gwA);
    const kicked = await stack.client(gwB);
    const leaver = await stack.client(gwB);
    const witness = await stack.client(gwB);
    const roomId = await room(owner, kicked, leaver, witness);
    await kicked.request('room.broadcast', { roomId, data: 'before' });
    await witness.waitFor('room.broadcast', (e) => e.room === roomId && (e.data as { data: unknown }).data === 'before');

    await owner.request('room.kick', { roomId, userId: kicked.hello.userId });
    // Its replica drops the seat as it delivers the removal, before the client can see it.
    await kicked.waitFor('room.participant_left', (e) => e.room === roomId && (e.data as { connectionId: string }).connectionId === kicked.hello.connectionId);
    await expect(kicked.request('room.broadcast', { roomId, data: 'after kick' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(kicked.request('chat.typing', { roomId, typing: true })).rejects.toMatchObject({ code: 'forbidden' });

    await leaver.request('room.leave', { roomId });
    await expect(leaver.request('room.broadcast', { roomId, data: 'after leave' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(leaver.request('chat.typing', { roomId, typing: true })).rejects.toMatchObject({ code: 'forbidden' });

    // Same replica as both, after both refusals: anything of theirs would have arrived first.
    const marker = await stack.client(gwB);
    await marker.request('room.join', { roomId });
    await marker.request('room.broadcast', { roomId, data: 'mark' });
    await witness.waitFor('room.broadcast', (e) => e.room === roomId && (e.data as { data: unknown }).data === 'mark');
    expect(broadcasts(witness, roomId)).toEqual(['before', 'mark']);
    expect(witness.events.some((e) => e.type === 'chat.typing' && e.room === roomId)).toBe(false);
  });

  it('a closed room, a room never joined and an unknown room keep their answers from rooms', async () => {
    const owner = await stack.client(gwA);
    const member = await stack.client(gwA);
    const stranger = await stack.client(gwA);
    const roomId = await room(owner, member);
    await expect(stranger.request('room.broadcast', { roomId, data: 1 })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(stranger.request('room.broadcast', { roomId: 'r_nope', data: 1 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(stranger.request('chat.typing', { roomId: 'r_nope', typing: true })).rejects.toMatchObject({ code: 'not_found' });
    await owner.request('room.close', { roomId });
    await member.waitFor('room.closed', (e) => e.room === roomId);
    await expect(member.request('room.broadcast', { roomId, data: 1 })).rejects.toMatchObject({ code: 'not_found' });
    // Over the size limit: refused by the schema at the gateway, whoever would answer.
    const open = await room(owner, member);
    await expect(member.request('room.broadcast', { roomId: open, data: { pad: 'p'.repeat(17_000) } })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('a muted member broadcasts as before: mute gates the floor and the SFU, not room data', async () => {
    const owner = await stack.client(gwA);
    const muted = await stack.client(gwB);
    const roomId = await room(owner, muted);
    await owner.request('room.mute', { roomId, userId: muted.hello.userId, muted: true });
    await muted.waitFor('room.participant_muted', (e) => e.room === roomId);
    await muted.request('room.broadcast', { roomId, data: 'still here' });
    expect((await owner.waitFor('room.broadcast', (e) => e.room === roomId)).data).toMatchObject({ data: 'still here' });
  });

  it('a room that keeps broadcasts for resume gets them through rooms (seq, stored); every replica learns the flag from the room', async () => {
    const owner = await stack.client(gwA);
    const bob = await stack.client(gwB);
    const carol = await stack.client(gwB);
    const roomId = await room(owner, bob, carol);
    const viaRooms = await roomsRequests(gwB, 'room.broadcast');

    await owner.request('room.update', { roomId, replayEphemeral: true });
    // Bob's replica learns it from room.updated, delivered before bob sees it.
    await bob.waitFor('room.updated', (e) => e.room === roomId);
    await bob.request('room.broadcast', { roomId, data: 'kept' });
    const kept = await carol.waitFor('room.broadcast', (e) => e.room === roomId && (e.data as { data: unknown }).data === 'kept');
    expect(kept.seq).toBeGreaterThan(0);
    expect(await roomsRequests(gwB, 'room.broadcast')).toBe(viaRooms + 1);

    // The updater's own replica knows from the reply: its very next broadcast is live again.
    await owner.request('room.update', { roomId, replayEphemeral: false });
    await owner.request('room.broadcast', { roomId, data: 'live' });
    expect((await carol.waitFor('room.broadcast', (e) => e.room === roomId && (e.data as { data: unknown }).data === 'live')).seq).toBeUndefined();

    // A member joining a room that keeps them learns it from the join reply.
    const replaying = (await owner.request('room.create', { name: uid('fan'), kind: 'group', joinPolicy: 'open', replayEphemeral: true })).room.id as string;
    await bob.request('room.join', { roomId: replaying });
    await carol.request('room.join', { roomId: replaying });
    await bob.request('room.broadcast', { roomId: replaying, data: 'kept too' });
    expect((await carol.waitFor('room.broadcast', (e) => e.room === replaying)).seq).toBeGreaterThan(0);
    expect(await roomsRequests(gwB, 'room.broadcast')).toBe(viaRooms + 2);
  });

  it('typing in the default channel is answered by the gateway and still lapses through rooms; a named channel goes to rooms', async () => {
    const alice = await stack.client(gwA);
    const bob = await stack.client(gwB);
    const roomId = await room(alice, bob);
    const before = await roomsRequests(gwA, 'chat.typing');
    await alice.request('chat.typing', { roomId, typing: true });
    // To everyone seated, the typist included; no seq.
    for (const c of [alice, bob]) {
      const on = await c.waitFor('chat.typing', (e) => e.room === roomId && (e.data as { typing: boolean }).typing);
      expect(on.data).toEqual({ userId: alice.hello.userId, typing: true });
      expect(on.seq).toBeUndefined();
    }
    // The lapse timer the gateway wrote is rooms' own: its sweep announces typing:false.
    expect((await bob.waitFor('chat.typing', (e) => e.room === roomId && !(e.data as { typing: boolean }).typing)).data).toEqual({ userId: alice.hello.userId, typing: false });
    expect(await roomsRequests(gwA, 'chat.typing')).toBe(before);

    const { channel } = await alice.request('channel.create', { roomId, name: uid('ch') });
    await alice.request('chat.typing', { roomId, channelId: channel.id, typing: true });
    expect((await bob.waitFor('chat.typing', (e) => e.room === roomId && (e.data as { channelId?: string }).channelId === channel.id)).data).toMatchObject({ typing: true });
    expect(await roomsRequests(gwA, 'chat.typing')).toBe(before + 1);
  });
});
