import { describe, expect, it } from 'vitest';
import type { Connection } from '../connections/connection.js';
import { connection, FakeNats, metrics, silentLogger } from '../testing/fakes.test.js';
import { REFUSALS_ONLY, Subscriptions } from './subscriptions.js';

const setup = () => {
  const nats = new FakeNats();
  const m = metrics();
  const subs = new Subscriptions(nats.asConnection(), m, silentLogger);
  return { nats, m, subs };
};

describe('Subscriptions (reference-counted NATS interest)', () => {
  it('subscribes once per subject while any local connection needs it, and unsubscribes with the last', async () => {
    const { nats, m, subs } = setup();
    const a = connection().conn;
    const b = connection().conn;
    subs.acquire('sb.evt.room.r1', a);
    subs.acquire('sb.evt.room.r1', b);
    subs.acquire('sb.evt.room.r1', b); // the same connection twice counts once
    subs.acquire('sb.evt.user.u1', a);
    expect(nats.subjects().sort()).toEqual(['sb.evt.room.r1', 'sb.evt.user.u1']);
    expect(subs.stats()).toEqual({ subjects: 2, refs: 3 });
    expect((await m.subscriptions.get()).values[0].value).toBe(2);
    subs.release('sb.evt.room.r1', a);
    expect(subs.subscribers('sb.evt.room.r1')).toBe(1);
    expect(nats.subjects()).toContain('sb.evt.room.r1');
    subs.release('sb.evt.room.r1', b);
    subs.release('sb.evt.room.r1', b); // releasing again is harmless
    subs.release('sb.evt.nothing', a);
    expect(nats.subjects()).toEqual(['sb.evt.user.u1']);
    expect(subs.stats()).toEqual({ subjects: 1, refs: 1 });
    expect((await m.subscriptions.get()).values[0].value).toBe(1);
  });

  it('hands each decoded event to the listener once per attached connection', () => {
    const { nats, subs } = setup();
    const a = connection().conn;
    const b = connection().conn;
    const seen: string[] = [];
    subs.onEvent((conn, e) => void seen.push(`${conn.id}:${e.type}:${e.seq}:${e.dataJson}`));
    subs.acquire('sb.evt.room.r1', a);
    subs.acquire('sb.evt.room.r1', b);
    nats.event('sb.evt.room.r1', { type: 'chat.message', roomId: 'r1', seq: 3, data: { text: 'hi' } });
    expect(seen.sort()).toEqual([`${a.id}:chat.message:3:{"text":"hi"}`, `${b.id}:chat.message:3:{"text":"hi"}`].sort());
  });

  it('taps share the subject with its connections: one NATS subscription, one decoded event for all, held until the last of either lets go (ADR 0096)', () => {
    const { nats, subs } = setup();
    const a = connection().conn;
    const delivered: object[] = [];
    const tapped: object[] = [];
    subs.onEvent((_conn, e) => void delivered.push(e));
    subs.acquire('sb.evt.room.r1', a);
    const untap = subs.tap('sb.evt.room.r1', (e) => {
      tapped.push(e);
      throw new Error('a failing tap costs no connection its event');
    });
    expect(nats.subjects()).toEqual(['sb.evt.room.r1']);
    nats.event('sb.evt.room.r1', { type: 'chat.message', roomId: 'r1', seq: 1 });
    expect(tapped).toHaveLength(1);
    expect(delivered).toEqual(tapped);
    expect(delivered[0]).toBe(tapped[0]);
    // The connection leaves; the tap still holds the subject and gets what follows.
    subs.release('sb.evt.room.r1', a);
    expect(subs.stats()).toEqual({ subjects: 1, refs: 0 });
    nats.event('sb.evt.room.r1', { type: 'chat.message', roomId: 'r1', seq: 2 });
    expect(tapped).toHaveLength(2);
    expect(delivered).toHaveLength(1);
    untap();
    untap(); // twice is harmless
    expect(nats.subjects()).toEqual([]);
    expect(subs.stats()).toEqual({ subjects: 0, refs: 0 });
    // A tap alone subscribes; a connection joining keeps it after the tap lets go.
    const untapB = subs.tap('sb.evt.room.r2', () => undefined);
    subs.acquire('sb.evt.room.r2', a);
    untapB();
    expect(nats.subjects()).toEqual(['sb.evt.room.r2']);
    subs.release('sb.evt.room.r2', a);
    expect(nats.subjects()).toEqual([]);
  });

  it('drops undecodable bytes without calling the listener or throwing', () => {
    const { nats, subs } = setup();
    let calls = 0;
    subs.onEvent(() => void calls++);
    subs.acquire('sb.evt.conn.c1', connection().conn);
    expect(() => nats.deliver('sb.evt.conn.c1', new Uint8Array([0xff, 0xff, 0xff, 0x0f]), 'inbox.1')).not.toThrow();
    expect(calls).toBe(0);
  });

  it('answers requests: ok by default, the listener verdict when it gives one, internal when it throws', async () => {
    const { nats, subs } = setup();
    const a = connection().conn;
    const b = connection().conn;
    subs.acquire('sb.evt.conn.x', a);
    subs.acquire('sb.evt.conn.x', b);
    // One listener per Subscriptions (a second is refused): the test swaps what it does.
    let listener: (conn: Connection) => string | Promise<string> | void = () => undefined;
    subs.onEvent((conn) => listener(conn));
    expect(() => subs.onEvent(() => undefined)).toThrow(/already deliver/);
    expect(nats.event('sb.evt.conn.x', { type: 'signal' }, 'inbox.1').answers).toEqual(['ok']);
    listener = () => 'forbidden';
    expect(nats.event('sb.evt.conn.x', { type: 'signal' }, 'inbox.2').answers).toEqual(['forbidden']);
    const seen: string[] = [];
    listener = (conn) => {
      seen.push(conn.id);
      if (conn === a) throw new Error('boom');
    };
    expect(nats.event('sb.evt.conn.x', { type: 'signal' }, 'inbox.3').answers).toEqual(['internal']);
    expect(seen.sort()).toEqual([a.id, b.id].sort()); // one failure does not cost the other its event
    // An asynchronous verdict (a probe answered by the client) is sent when it settles.
    listener = () => Promise.resolve('ok-later');
    const msg = nats.event('sb.evt.conn.x', { type: 'probe' }, 'inbox.4');
    expect(msg.answers).toEqual([]);
    await Promise.resolve();
    expect(msg.answers).toEqual(['ok-later']);
    // No reply subject: nothing is answered.
    listener = () => 'ok';
    expect(nats.event('sb.evt.conn.x', { type: 'signal' }).answers).toEqual([]);
  });

  it('answers a refusals-only reply subject (a published ICE candidate, ADR 0056) only when the verdict is not ok', async () => {
    const { nats, subs } = setup();
    subs.acquire('sb.evt.conn.x', connection().conn);
    let verdict: string | Promise<string> = 'ok';
    subs.onEvent(() => verdict);
    const reply = `_INBOX_gateway.${REFUSALS_ONLY}.sr_1.ice.c_a.x.r1`;
    expect(nats.event('sb.evt.conn.x', { type: 'signal' }, reply).answers).toEqual([]);
    verdict = 'forbidden';
    expect(nats.event('sb.evt.conn.x', { type: 'signal' }, reply).answers).toEqual(['forbidden']);
    verdict = Promise.resolve('ok');
    const later = nats.event('sb.evt.conn.x', { type: 'signal' }, reply);
    await Promise.resolve();
    expect(later.answers).toEqual([]);
    verdict = Promise.resolve('not_found');
    const refused = nats.event('sb.evt.conn.x', { type: 'signal' }, reply);
    await Promise.resolve();
    expect(refused.answers).toEqual(['not_found']);
  });
});
