import { ProtocolError, subjects } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from './logger.js';
import { createMetricsRegistry, natsMetrics } from './metrics.js';
import { CommandBus, connectNats, decodeJson, type Caller, type NatsConnection } from './nats.js';
import { bus as proto } from '@switchboard/proto';
import { startTelemetry } from './telemetry.js';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '../../../test/support/infra.js';
import { slot } from '../../../test/support/slot.js';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });
const caller: Caller = { userId: 'u1', connectionId: 'c1', sessionId: 's1', nodeId: 'n1', name: 'U', device: '', roles: [] };

describe('CommandBus over real NATS', () => {
  let nc: NatsConnection;
  let bus: CommandBus;
  const service = `svc${Date.now().toString(36)}`;

  beforeAll(async () => {
    nc = await connectNats(slot().natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    bus = new CommandBus(nc, natsMetrics(createMetricsRegistry('test', 'n')), logger, 500);
    bus.serve(
      service,
      {
        echo: (data, c) => ({ data, user: c.userId }),
        refuse: () => {
          throw new ProtocolError('forbidden', 'no', { why: 'test' });
        },
        crash: () => {
          throw new Error('secret internals');
        },
        slow: () => new Promise((r) => setTimeout(r, 2000)),
      },
      { echo: z.object({ n: z.number() }), refuse: z.any(), crash: z.any(), slow: z.any() },
    );
    await nc.flush();
  });
  afterAll(async () => {
    await nc.drain();
  });

  it('round-trips a validated command with its caller', async () => {
    expect(await bus.request(service, 'echo', caller, { n: 1 })).toEqual({ data: { n: 1 }, user: 'u1' });
  });

  it('rejects invalid data with bad_request before the handler runs', async () => {
    await expect(bus.request(service, 'echo', caller, { n: 'x' })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('carries typed errors with details across the wire', async () => {
    await expect(bus.request(service, 'refuse', caller, {})).rejects.toMatchObject({ code: 'forbidden', message: 'no', details: { why: 'test' } });
  });

  it('turns handler crashes into internal without leaking the message', async () => {
    const err = (await bus.request(service, 'crash', caller, {}).catch((e: unknown) => e)) as ProtocolError;
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.code).toBe('internal');
    expect(err.message).not.toContain('secret');
  });

  it('logs a crashed command with its verb, request id, connection and trace id (issue 15)', async () => {
    await startTelemetry('test', undefined, logger);
    const lines: string[] = [];
    const logged = createLogger({ service: 'test', level: 'error', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    const svc = `${service}log`;
    const b = new CommandBus(nc, natsMetrics(createMetricsRegistry('logs', 'n')), logged, 2000);
    const sub = b.serve(svc, { crash: () => Promise.reject(new Error('boom')) }, { crash: z.any() });
    await nc.flush();
    await expect(b.request(svc, 'crash', caller, {}, { requestId: 'q-test-1' })).rejects.toMatchObject({ code: 'internal' });
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'command failed');
    expect(line).toMatchObject({ verb: 'crash', requestId: 'q-test-1', conn: 'c1', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(line.traceId).not.toBe('0'.repeat(32));
    sub.unsubscribe();
  });

  it('answers unknown verbs with bad_request', async () => {
    await expect(bus.request(service, 'nope', caller, {})).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('maps no responders and timeouts to unavailable, and tells them apart in the latency metric (issue 15)', async () => {
    const registry = createMetricsRegistry('split', 'n');
    const split = new CommandBus(nc, natsMetrics(registry), logger, 500);
    await expect(split.request(`${service}x`, 'echo', caller, {})).rejects.toMatchObject({ code: 'unavailable' });
    await expect(split.request(service, 'slow', caller, {}, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'unavailable' });
    await expect(split.request(service, 'refuse', caller, {})).rejects.toMatchObject({ code: 'forbidden' });
    await split.request(service, 'echo', caller, { n: 2 });
    const counts = (await registry.getSingleMetric('switchboard_nats_request_duration_seconds')!.get()).values
      .filter((v) => (v as { metricName?: string }).metricName === 'switchboard_nats_request_duration_seconds_count')
      .map((v) => `${v.labels.verb}:${v.labels.outcome}=${v.value}`);
    expect(counts.sort()).toEqual(['echo:no_responders=1', 'echo:ok=1', 'refuse:forbidden=1', 'slow:timeout=1']);
  });

  it('answers a reply over max_payload with too_large at once, logs the verb, and keeps serving', async () => {
    const lines: string[] = [];
    const logged = createLogger({ service: 'test', level: 'warn', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    const big = new CommandBus(nc, natsMetrics(createMetricsRegistry('test2', 'n')), logged, 500);
    const sub = big.serve(`${service}big`, { huge: () => ({ blob: 'x'.repeat(2 * 1024 * 1024) }), echo: (d) => d }, { huge: z.any(), echo: z.any() });
    await nc.flush();
    // today's failure: the reply is refused by NATS and the caller times out with unavailable
    await expect(big.request(`${service}big`, 'huge', caller, {}, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'too_large' });
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ verb: 'huge', msg: 'reply too large for NATS; answered too_large' }));
    await expect(big.request(`${service}big`, 'echo', caller, { ok: 1 })).resolves.toEqual({ ok: 1 });
    sub.unsubscribe();
  });

  it('answers a malformed envelope with bad_request, not internal (issue 10)', async () => {
    const reply = proto.CommandReply.decode((await nc.request(`sb.cmd.${service}.echo`, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), { timeout: 2000 })).data);
    expect(reply.error).toMatchObject({ code: 'bad_request', message: 'malformed command envelope' });
  });

  it('refuses to serve a verb without a schema', () => {
    expect(() => bus.serve(`${service}y`, { whatever: () => 1 })).toThrow(/no schema/);
  });

  it('publishes events as bus.v1 envelopes', async () => {
    const subject = subjects.room(`t${Date.now()}`);
    const got = new Promise<proto.Event>((resolve) => {
      const sub = nc.subscribe(subject, { max: 1, callback: (_e, m) => resolve(proto.Event.decode(m.data)) });
      void sub;
    });
    await nc.flush();
    bus.publish(subject, { type: 'x.y', roomId: 'r1', seq: 7, data: { a: 1 }, excludeConnectionId: 'c9' });
    const ev = await got;
    expect(ev).toMatchObject({ type: 'x.y', roomId: 'r1', seq: 7, excludeConnectionId: 'c9' });
    expect(decodeJson(ev.data)).toEqual({ a: 1 });
  });
});
