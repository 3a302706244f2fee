import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestOne } from '@nats-io/nats-core/internal';
import { errors } from '@nats-io/transport-node';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '@switchboard/testing/infra';
import { slot } from '@switchboard/testing/slot';
import { createLogger } from './logger.js';
import { connectNats, type NatsConnection } from './nats.js';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });
const subject = () => `test.requests.${Math.random().toString(36).slice(2)}`;

describe('requests resolved without an Error (ADR 0088)', () => {
  const conns: NatsConnection[] = [];
  afterEach(async () => {
    await Promise.all(conns.splice(0).map((c) => c.close()));
    vi.restoreAllMocks();
  });

  it('answers requests, builds no RequestError on success, and keeps timeouts and no-responders errors', async () => {
    const nc = await connectNats(slot().natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    conns.push(nc);
    const s = subject();
    nc.subscribe(s, {
      callback: (_e, m) => {
        m.respond(`re:${m.string()}`);
      },
    });
    await nc.flush();
    // nats.js's `cancel` is what builds the RequestError: a successful request no longer goes there.
    const cancelled = vi.spyOn(RequestOne.prototype, 'cancel');
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => nc.request(s, String(i), { timeout: 5000 })));
    expect(replies.map((m) => m.string())).toEqual(Array.from({ length: 20 }, (_, i) => `re:${i}`));
    expect(cancelled).not.toHaveBeenCalled();
    // Every request left the mux: nothing is pending or resolves twice.
    expect((nc as unknown as { protocol: { muxSubscriptions: { size(): number } } }).protocol.muxSubscriptions.size()).toBe(0);
    // Errors still take nats.js's own path.
    await expect(nc.request(subject(), 'x', { timeout: 1000 })).rejects.toSatisfy((err: Error) => err instanceof errors.RequestError && err.isNoResponders());
    const silent = subject();
    nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    await expect(nc.request(silent, 'x', { timeout: 100 })).rejects.toBeInstanceOf(errors.TimeoutError);
  });
});
