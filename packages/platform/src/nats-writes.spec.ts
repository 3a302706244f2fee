import { afterEach, describe, expect, it } from 'vitest';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '@switchboard/testing/infra';
import { slot } from '@switchboard/testing/slot';
import { createLogger } from './logger.js';
import { connectNats, type NatsConnection } from './nats.js';
import { writePerTurn } from './nats-writes.js';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });
const open = (writes: 'turn' | 'microtask') => connectNats(slot().natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD }, writes);

/** Counts the socket writes of a connection (nats.js's transport.send: one per write). */
function countWrites(nc: NatsConnection): () => number {
  const transport = (nc as unknown as { protocol: { transport: { send(frame: Uint8Array): void } } }).protocol.transport;
  const send = transport.send.bind(transport);
  let n = 0;
  transport.send = (frame) => {
    n++;
    send(frame);
  };
  return () => n;
}

/** Publishes `n` messages, each after its own microtask checkpoint, all in one event-loop turn. */
async function publishAcrossMicrotasks(nc: NatsConnection, subject: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    nc.publish(subject, String(i));
    await Promise.resolve();
    await Promise.resolve();
  }
}

describe('NATS writes per event-loop turn (ADR 0082)', () => {
  const conns: NatsConnection[] = [];
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close()));
  });

  it('sends what one turn queued in one socket write, in order', async () => {
    const [pub, sub] = await Promise.all([open('turn'), open('turn')]);
    conns.push(pub, sub);
    const subject = `t.writes.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
    const got: string[] = [];
    const all = new Promise<void>((resolve) =>
      sub.subscribe(subject, {
        callback: (_e, m) => {
          if (got.push(m.string()) === 10) resolve();
        },
      }),
    );
    await sub.flush();
    await pub.flush();
    const writes = countWrites(pub);
    await publishAcrossMicrotasks(pub, subject, 10);
    expect(writes()).toBe(0); // nothing written inside the turn
    await new Promise((r) => setImmediate(r));
    expect(writes()).toBe(1);
    await all;
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('writes per microtask checkpoint with NATS_WRITES=microtask (nats.js as it is)', async () => {
    const pub = await open('microtask');
    conns.push(pub);
    const writes = countWrites(pub);
    await publishAcrossMicrotasks(pub, `t.writes.m.${Date.now().toString(36)}`, 5);
    expect(writes()).toBe(5);
  });

  it('writes what is queued before a close', async () => {
    const [pub, sub] = await Promise.all([open('turn'), open('turn')]);
    conns.push(sub);
    const subject = `t.writes.close.${Date.now().toString(36)}`;
    const got = new Promise<string>((resolve) => sub.subscribe(subject, { callback: (_e, m) => resolve(m.string()) }));
    await sub.flush();
    pub.publish(subject, 'last words');
    await pub.close();
    expect(await got).toBe('last words');
  });

  it('leaves a connection without the expected internals as it is', () => {
    expect(writePerTurn({} as NatsConnection)).toBe(false);
  });
});
