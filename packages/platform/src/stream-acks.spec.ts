import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '@switchboard/testing/infra';
import { slot } from '@switchboard/testing/slot';
import { uid } from '@switchboard/testing/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamAcks } from './stream-acks.js';

/** Real nats-server with JetStream (the worker's slot): acks come from a real stream leader. */
describe('StreamAcks: JetStream publishes acknowledged through one inbox (ADR 0048)', () => {
  let nc: NatsConnection;
  const made: string[] = [];
  const stream = async (opts: { maxMsgSize?: number } = {}) => {
    const name = uid('ACKS').toUpperCase().replace(/[^A-Z0-9]/g, '');
    const subject = `acks.${name.toLowerCase()}`;
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [`${subject}.>`], ...(opts.maxMsgSize ? { max_msg_size: opts.maxMsgSize } : {}) });
    made.push(name);
    return { name, subject };
  };
  const stored = async (name: string) => (await (await jetstreamManager(nc)).streams.info(name)).state.messages;

  beforeAll(async () => {
    nc = await connect({ servers: slot().natsUrl.split(','), user: NATS_TEST_USER, pass: NATS_TEST_PASSWORD });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const name of made) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  it('resolves each publish once the stream holds it, in publish order, never more than the window in flight', async () => {
    const { name, subject } = await stream();
    const acks = new StreamAcks(nc, undefined, { window: 4, ackTimeoutMs: 2000, giveUpMs: 20_000 });
    let maxInFlight = 0;
    const all: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      all.push(acks.publish(`${subject}.x`, new TextEncoder().encode(`e${i}`)));
      maxInFlight = Math.max(maxInFlight, acks.inFlight);
    }
    expect(maxInFlight).toBeLessThanOrEqual(4);
    // The first resolves while later ones still wait for a slot: resolution means stored.
    await all[0];
    expect(await stored(name)).toBeGreaterThanOrEqual(1);
    await Promise.all(all);
    expect(await stored(name)).toBe(40);
    expect(acks.inFlight).toBe(0);
    const jsm = await jetstreamManager(nc);
    const order: string[] = [];
    for (let seq = 1; seq <= 40; seq++) order.push(new TextDecoder().decode((await jsm.streams.getMessage(name, { seq }))!.data));
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`));
    acks.close();
  });

  it('resends what no stream acknowledges (another subscriber answering is no ack) and gives up after giveUpMs', async () => {
    const subject = `acks.nostream.${uid('s')}`;
    const seen: number[] = [];
    // Like a gateway answering "ok" to a request on a subject it serves: not the stream's PubAck.
    const sub = nc.subscribe(subject, { callback: (_e, m) => void (seen.push(Date.now()), m.respond('ok')) });
    const acks = new StreamAcks(nc, undefined, { window: 8, ackTimeoutMs: 100, giveUpMs: 600 });
    await expect(acks.publish(subject, new TextEncoder().encode('lost'))).rejects.toThrow(/no stream acknowledgement/);
    // Sent, then resent while unacknowledged: more than once, and bounded by giveUpMs / ackTimeoutMs.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThanOrEqual(8);
    expect(acks.inFlight).toBe(0);
    sub.unsubscribe();
    acks.close();
  });

  it('settles an event the stream refuses for good (over its max_msg_size) without resending it', async () => {
    const { name, subject } = await stream({ maxMsgSize: 64 });
    const acks = new StreamAcks(nc, undefined, { window: 8, ackTimeoutMs: 100, giveUpMs: 5000 });
    await acks.publish(`${subject}.big`, new Uint8Array(200));
    await acks.publish(`${subject}.small`, new Uint8Array(10));
    expect(acks.refused).toBe(1);
    expect(await stored(name)).toBe(1);
    acks.close();
  });

  it('rejects what is pending when closed', async () => {
    const acks = new StreamAcks(nc, undefined, { window: 8, ackTimeoutMs: 1000, giveUpMs: 60_000 });
    const pending = acks.publish(`acks.nostream.${uid('c')}`, new Uint8Array(1));
    acks.close();
    await expect(pending).rejects.toThrow(/closed/);
  });
});
