import { ProtocolError, subjects } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from './logger.js';
import { createMetricsRegistry, natsMetrics } from './metrics.js';
import { CommandBus, connectNats, decodeJson, type Caller, type CommandHandlers, type NatsConnection } from './nats.js';
import { bus as proto } from '@switchboard/proto';
import { currentTraceId, inSpan, startTelemetry } from './telemetry.js';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '@switchboard/testing/infra';
import { slot } from '@switchboard/testing/slot';

const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'n', production: false });
const caller: Caller = { userId: 'u1', connectionId: 'c1', sessionId: 's1', nodeId: 'n1', name: 'U', device: '', roles: [] };

describe('CommandBus over real NATS', () => {
  let nc: NatsConnection;
  let bus: CommandBus;
  const service = `svc${Date.now().toString(36)}`;

  beforeAll(async () => {
    nc = await connectNats(slot().natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    bus = new CommandBus(nc, natsMetrics(createMetricsRegistry('test', 'n')), logger, 500);
    bus.serveAny(
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
    expect(await bus.requestAny(service, 'echo', caller, { n: 1 })).toEqual({ data: { n: 1 }, user: 'u1' });
  });

  it('rejects invalid data with bad_request before the handler runs', async () => {
    await expect(bus.requestAny(service, 'echo', caller, { n: 'x' })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('carries typed errors with details across the wire', async () => {
    await expect(bus.requestAny(service, 'refuse', caller, {})).rejects.toMatchObject({ code: 'forbidden', message: 'no', details: { why: 'test' } });
  });

  it('turns handler crashes into internal without leaking the message', async () => {
    const err = (await bus.requestAny(service, 'crash', caller, {}).catch((e: unknown) => e)) as ProtocolError;
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
    const sub = b.serveAny(svc, { crash: () => Promise.reject(new Error('boom')) }, { crash: z.any() });
    await nc.flush();
    await expect(b.requestAny(svc, 'crash', caller, {}, { requestId: 'q-test-1' })).rejects.toMatchObject({ code: 'internal' });
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'command failed');
    expect(line).toMatchObject({ verb: 'crash', requestId: 'q-test-1', connectionId: 'c1', traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(line.traceId).not.toBe('0'.repeat(32));
    sub.unsubscribe();
  });

  it('serves an untraced verb without a span and logs its failure with the caller\'s trace id (ADR 0079)', async () => {
    await startTelemetry('test', undefined, logger);
    const lines: string[] = [];
    const logged = createLogger({ service: 'test', level: 'error', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    const svc = `${service}untraced`;
    const b = new CommandBus(nc, natsMetrics(createMetricsRegistry('untraced', 'n')), logged, 2000);
    // `seen` is the trace id active inside each handler: a traced verb runs in a child span of the caller's trace.
    const sub = b.serveAny(
      svc,
      { hot: () => ({ seen: currentTraceId() }), traced: () => ({ seen: currentTraceId() }), crash: () => Promise.reject(new Error('boom')) },
      { hot: z.any(), traced: z.any(), crash: z.any() },
      {},
      { untraced: ['hot', 'crash'] },
    );
    await nc.flush();
    const { callerTrace, hot, traced } = await inSpan('caller', async () => ({
      callerTrace: currentTraceId(),
      hot: await b.requestAny(svc, 'hot', caller, {}),
      traced: await b.requestAny(svc, 'traced', caller, {}),
    }));
    expect(callerTrace).toMatch(/^[0-9a-f]{32}$/);
    expect(hot).toEqual({ seen: '' });
    expect(traced).toEqual({ seen: callerTrace });
    const failedTrace = await inSpan('caller', async () => {
      await expect(b.requestAny(svc, 'crash', caller, {}, { requestId: 'q-untraced' })).rejects.toMatchObject({ code: 'internal' });
      return currentTraceId();
    });
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'command failed');
    expect(line).toMatchObject({ verb: 'crash', requestId: 'q-untraced', connectionId: 'c1', traceId: failedTrace });
    sub.unsubscribe();
  });

  it('answers unknown verbs with bad_request', async () => {
    await expect(bus.requestAny(service, 'nope', caller, {})).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('maps no responders and timeouts to unavailable, and tells them apart in the latency metric (issue 15)', async () => {
    const registry = createMetricsRegistry('split', 'n');
    const split = new CommandBus(nc, natsMetrics(registry), logger, 500);
    await expect(split.requestAny(`${service}x`, 'echo', caller, {})).rejects.toMatchObject({ code: 'unavailable' });
    await expect(split.requestAny(service, 'slow', caller, {}, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'unavailable' });
    await expect(split.requestAny(service, 'refuse', caller, {})).rejects.toMatchObject({ code: 'forbidden' });
    await split.requestAny(service, 'echo', caller, { n: 2 });
    const counts = (await registry.getSingleMetric('switchboard_nats_request_duration_seconds')!.get()).values
      .filter((v) => (v as { metricName?: string }).metricName === 'switchboard_nats_request_duration_seconds_count')
      .map((v) => `${v.labels.verb}:${v.labels.outcome}=${v.value}`);
    expect(counts.sort()).toEqual(['echo:no_responders=1', 'echo:ok=1', 'refuse:forbidden=1', 'slow:timeout=1']);
  });

  it('answers a reply over max_payload with too_large at once, logs the verb, and keeps serving', async () => {
    const lines: string[] = [];
    const logged = createLogger({ service: 'test', level: 'warn', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    const big = new CommandBus(nc, natsMetrics(createMetricsRegistry('test2', 'n')), logged, 500);
    const sub = big.serveAny(`${service}big`, { huge: () => ({ blob: 'x'.repeat(2 * 1024 * 1024) }), echo: (d) => d }, { huge: z.any(), echo: z.any() });
    await nc.flush();
    // today's failure: the reply is refused by NATS and the caller times out with unavailable
    await expect(big.requestAny(`${service}big`, 'huge', caller, {}, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'too_large' });
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ verb: 'huge', msg: 'reply too large for NATS; answered too_large' }));
    await expect(big.requestAny(`${service}big`, 'echo', caller, { ok: 1 })).resolves.toEqual({ ok: 1 });
    sub.unsubscribe();
  });

  it('answers a malformed envelope with bad_request, not internal (issue 10)', async () => {
    const reply = proto.CommandReply.decode((await nc.request(`sb.cmd.${service}.echo`, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), { timeout: 2000 })).data);
    expect(reply.error).toMatchObject({ code: 'bad_request', message: 'malformed command envelope' });
  });

  it('refuses to serve a verb without a schema', () => {
    expect(() => bus.serveAny(`${service}y`, { whatever: () => 1 }, {})).toThrow(/no schema/);
    // A registry service serving a verb it does not own (no client or internal schema) fails at boot too.
    const handlers = { 'room.nope': () => ({}) } as unknown as CommandHandlers<'rooms'>;
    expect(() => bus.serve('rooms', handlers)).toThrow(/no schema for command rooms.room.nope/);
  });

  it('answers internal (and logs the contract break) when a reply breaks its schema in test mode', async () => {
    const lines: string[] = [];
    const logged = createLogger({ service: 'test', level: 'error', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    const checked = new CommandBus(nc, natsMetrics(createMetricsRegistry('test3', 'n')), logged, 500);
    const svc = `${service}rp`;
    const sub = checked.serveAny(svc, { good: () => ({ seq: 1 }), drift: () => ({ sequence: 1 }) }, { good: z.any(), drift: z.any() }, { good: z.strictObject({ seq: z.number() }), drift: z.strictObject({ seq: z.number() }) });
    await nc.flush();
    await expect(checked.requestAny(svc, 'good', caller, {})).resolves.toEqual({ seq: 1 });
    await expect(checked.requestAny(svc, 'drift', caller, {})).rejects.toMatchObject({ code: 'internal' });
    expect(lines.map((l) => JSON.parse(l))).toContainEqual(expect.objectContaining({ verb: 'drift', msg: 'command failed', err: expect.objectContaining({ type: 'ContractError' }) }));
    sub.unsubscribe();
  });

  it('types handler maps by verb: a missing verb or a wrong reply does not compile', () => {
    const ok: Pick<CommandHandlers<'rooms'>, 'floor.request'> = { 'floor.request': () => ({ expiresAt: 1, talkId: 't1' }) };
    // @ts-expect-error floor.request answers {expiresAt, talkId}, not {until}
    const wrongReply: Pick<CommandHandlers<'rooms'>, 'floor.request'> = { 'floor.request': () => ({ until: 1 }) };
    // @ts-expect-error every verb the rooms service owns needs a handler
    const missing: CommandHandlers<'rooms'> = { 'floor.request': () => ({ expiresAt: 1, talkId: 't1' }) };
    expect([ok, wrongReply, missing].length).toBe(3);
  });

  it('refuses to publish an event that breaks its schema or travels on the wrong subject (test mode)', () => {
    expect(() => bus.publish(`sb.evt.room.t${Date.now()}`, { type: 'chat.read', roomId: 'r1', seq: 1, data: { userId: 'u1' } })).toThrow(/event chat.read breaks its contract: messageId/);
    expect(() => bus.publish(`sb.evt.room.t${Date.now()}`, { type: 'chat.typing', roomId: 'r1', data: { userId: 'u1', typing: true } })).toThrow(/travels on live, not room/);
    expect(() => bus.publish(`sb.evt.room.t${Date.now()}`, { type: 'x.y', data: {} })).toThrow(/not in EVENTS/);
  });

  it('publishes events as bus.v1 envelopes', async () => {
    const subject = subjects.room(`t${Date.now()}`);
    const got = new Promise<proto.Event>((resolve) => {
      const sub = nc.subscribe(subject, { max: 1, callback: (_e, m) => resolve(proto.Event.decode(m.data)) });
      void sub;
    });
    await nc.flush();
    bus.publish(subject, { type: 'room.participant_left', roomId: 'r1', seq: 7, data: { userId: 'u1', connectionId: 'c1', reason: 'left' }, excludeConnectionId: 'c9' });
    const ev = await got;
    // The control data the gateway acts on travels in the envelope, derived from EVENTS.
    expect(ev).toMatchObject({ type: 'room.participant_left', roomId: 'r1', seq: 7, excludeConnectionId: 'c9', leaveConnectionId: 'c1', leaveUserId: '', roomClosed: false });
    expect(decodeJson(ev.data)).toEqual({ userId: 'u1', connectionId: 'c1', reason: 'left' });
  });
});
