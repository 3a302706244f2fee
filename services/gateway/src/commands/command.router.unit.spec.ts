import { currentTraceId, startTelemetry, type Caller, type CommandBus } from '@switchboard/platform';
import { ProtocolError } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { connection, gatewayConfig, metrics, silentLogger } from '../testing/fakes.test.js';
import { CommandHooks } from './command.hooks.js';
import { CommandRouter } from './command.router.js';
import { LocalCommands } from './local.commands.js';

/** The bus as the router uses it: one request per forwarded command. */
class FakeBus {
  readonly requests: { service: string; verb: string; caller: Caller; data: unknown }[] = [];
  readonly requestIds: string[] = [];
  answer: (verb: string, data: unknown) => Promise<unknown> = async () => ({ fine: true });
  requestAny(service: string, verb: string, caller: Caller, data: unknown, opts: { requestId?: string } = {}) {
    this.requests.push({ service, verb, caller, data });
    this.requestIds.push(opts.requestId ?? '');
    return this.answer(verb, data);
  }
}

const setup = (config: Record<string, string> = {}, rate?: { perSec: number; burst: number }) => {
  const bus = new FakeBus();
  const local = new LocalCommands();
  const hooks = new CommandHooks();
  const m = metrics();
  const errors: Record<string, unknown>[] = [];
  const logger = { ...silentLogger, error: (fields: Record<string, unknown>) => errors.push(fields) } as typeof silentLogger;
  const router = new CommandRouter(bus as unknown as CommandBus, local, hooks, m, gatewayConfig(config), logger);
  const { conn, socket } = connection('alice', rate);
  const send = (frame: unknown) => router.route(conn, Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame)));
  return { bus, local, hooks, m, router, conn, socket, send, errors };
};

describe('CommandRouter (one reply per frame)', () => {
  it('forwards a valid service verb with the caller and answers <verb>.ok with the reply', async () => {
    const { bus, conn, socket, send } = setup();
    await send({ id: '1', type: 'room.get', data: { roomId: 'r1' } });
    expect(bus.requests).toEqual([{ service: 'rooms', verb: 'room.get', caller: conn.caller(), data: { roomId: 'r1' } }]);
    expect(socket.sent).toEqual([{ re: '1', type: 'room.get.ok', data: { fine: true } }]);
  });

  it('makes the request id when the request is sent, and logs a failure under that id (a hook that answers itself sends none)', async () => {
    const { bus, hooks, errors, send } = setup();
    bus.answer = async () => {
      throw new ProtocolError('internal', 'boom');
    };
    await send({ id: '1', type: 'room.get', data: { roomId: 'r1' } });
    expect(bus.requestIds).toEqual([expect.stringMatching(/^q_[A-Za-z0-9_-]+$/)]);
    expect(errors).toEqual([expect.objectContaining({ verb: 'room.get', requestId: bus.requestIds[0] })]);
    // A broadcast the gateway vouches for never reaches the bus: its failure line still has an id.
    hooks.register('room.broadcast', async () => {
      throw new Error('publish failed');
    });
    await send({ id: '2', type: 'room.broadcast', data: { roomId: 'r1', data: {} } });
    expect(bus.requestIds).toHaveLength(1);
    expect(errors[1]).toEqual(expect.objectContaining({ verb: 'room.broadcast', requestId: expect.stringMatching(/^q_/) }));
    expect(errors[1]!.requestId).not.toBe(bus.requestIds[0]);
  });

  it('answers gateway verbs itself, and unavailable for one nobody registered', async () => {
    const { bus, local, socket, send } = setup();
    local.register('ping', () => ({ ts: Date.now() }));
    local.register('session.resume', () => ({ replayed: 3 }));
    await send({ id: 'a', type: 'ping' });
    await send({ id: 'b', type: 'session.resume', data: { sessionId: 's1', rooms: {} } });
    await send({ id: 'c', type: 'pair.register' });
    expect(bus.requests).toEqual([]);
    expect(socket.sent[0]).toMatchObject({ re: 'a', type: 'ping.ok', data: { ts: expect.any(Number) } });
    expect(socket.sent[1]).toEqual({ re: 'b', type: 'session.resume.ok', data: { replayed: 3 } });
    expect(socket.sent[2]).toMatchObject({ re: 'c', type: 'error', error: { code: 'unavailable' } });
  });

  it('answers internal when a gateway verb replies outside its schema (test mode checks at the sender)', async () => {
    const { local, socket, send } = setup();
    local.register('pair.register', () => ({ code: 5 }) as never);
    await send({ id: 'd', type: 'pair.register' });
    expect(socket.sent[0]).toMatchObject({ re: 'd', type: 'error', error: { code: 'internal' } });
  });

  it('refuses bad frames with a typed error and never forwards them', async () => {
    const { bus, socket, send } = setup({ MAX_FRAME_BYTES: '1024' });
    await send('{not json');
    await send({ id: '2', type: 'no.such.verb', data: {} });
    await send({ id: '3', type: 'room.get', data: { roomId: 42 } });
    await send({ id: '4', type: 'room.get', data: { roomId: 'x'.repeat(2000) } });
    expect(bus.requests).toEqual([]);
    expect(socket.sent.map((f) => [f.re, f.error.code])).toEqual([
      [undefined, 'bad_request'],
      ['2', 'bad_request'],
      ['3', 'bad_request'],
      ['4', 'too_large'],
    ]);
    expect(socket.sent[2].error.message).toContain('roomId');
  });

  it('passes service errors through and hides unexpected ones as internal', async () => {
    const { bus, socket, send } = setup();
    bus.answer = async (verb) => {
      if (verb === 'room.get') throw new ProtocolError('not_found', 'no such room');
      throw new Error('database on fire');
    };
    await send({ id: '1', type: 'room.get', data: { roomId: 'r1' } });
    await send({ id: '2', type: 'room.leave', data: { roomId: 'r1' } });
    expect(socket.sent.map((f) => [f.re, f.error.code, f.error.message])).toEqual([
      ['1', 'not_found', 'no such room'],
      ['2', 'internal', 'internal error'],
    ]);
  });

  it('runs the hook registered for a verb around the request, and sends nothing for a frame without id', async () => {
    const { bus, hooks, socket, send } = setup();
    const order: string[] = [];
    hooks.register('room.join', async (_data, _conn, forward) => {
      order.push('before');
      const r = await forward();
      order.push('after');
      return { ...r, seq: 7 };
    });
    await send({ id: '1', type: 'room.join', data: { roomId: 'r1' } });
    await send({ type: 'room.join', data: { roomId: 'r2' } });
    expect(order).toEqual(['before', 'after', 'before', 'after']);
    expect(bus.requests.map((r) => r.data)).toEqual([{ roomId: 'r1' }, { roomId: 'r2' }]);
    expect(socket.sent).toEqual([{ re: '1', type: 'room.join.ok', data: { fine: true, seq: 7 } }]);
  });

  it('rate limits with retryAfterMs, and closes a connection that keeps flooding', async () => {
    const { bus, socket, send } = setup({ RATE_MAX_VIOLATIONS: '3' }, { perSec: 1, burst: 2 });
    for (let i = 0; i < 4; i++) await send({ id: String(i), type: 'room.get', data: { roomId: 'r1' } });
    expect(bus.requests).toHaveLength(2);
    expect(socket.sent.slice(2).map((f) => f.error)).toEqual([
      { code: 'rate_limited', message: 'too many messages', retryAfterMs: expect.any(Number) },
      { code: 'rate_limited', message: 'too many messages', retryAfterMs: expect.any(Number) },
    ]);
    await send({ id: 'x', type: 'room.get', data: { roomId: 'r1' } });
    expect(socket.closedWith).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    expect(bus.requests).toHaveLength(2);
  });

  it('runs signal and ping without a span, every other command inside one (ADR 0057)', async () => {
    await startTelemetry('gateway', undefined, silentLogger);
    const { bus, local, send } = setup();
    const traceIds: Record<string, string> = {};
    local.register('signal', () => ((traceIds.signal = currentTraceId()), {}));
    local.register('ping', () => ((traceIds.ping = currentTraceId()), { ts: 1 }));
    local.register('pair.register', () => ((traceIds['pair.register'] = currentTraceId()), { code: 'ABCDEF' }));
    bus.answer = async () => ((traceIds['room.get'] = currentTraceId()), {});
    await send({ id: '1', type: 'signal', data: { to: 'c_b', roomId: 'r1', kind: 'ice', payload: {} } });
    await send({ id: '2', type: 'ping' });
    await send({ id: '3', type: 'pair.register' });
    await send({ id: '4', type: 'room.get', data: { roomId: 'r1' } });
    expect(traceIds.signal).toBe('');
    expect(traceIds.ping).toBe('');
    expect(traceIds['pair.register']).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIds['room.get']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('answers a service verb here without a span or a request when its @AnswerHere can, and forwards it in its span when not (ADR 0100)', async () => {
    await startTelemetry('gateway', undefined, silentLogger);
    const { bus, hooks, socket, send } = setup();
    let vouched = true;
    const traceIds: string[] = [];
    hooks.registerHere('room.broadcast', () => (traceIds.push(currentTraceId()), vouched ? {} : undefined));
    bus.answer = async () => (traceIds.push(currentTraceId()), {});
    await send({ id: '1', type: 'room.broadcast', data: { roomId: 'r1', data: { n: 1 } } });
    expect(bus.requests).toEqual([]);
    vouched = false;
    await send({ id: '2', type: 'room.broadcast', data: { roomId: 'r1', data: { n: 2 } } });
    expect(bus.requests.map((r) => r.data)).toEqual([{ roomId: 'r1', data: { n: 2 } }]);
    expect(socket.sent.map((f) => [f.re, f.type])).toEqual([
      ['1', 'room.broadcast.ok'],
      ['2', 'room.broadcast.ok'],
    ]);
    // Answered here: no trace; not answered: outside the span still, then the forward in the command's span.
    expect(traceIds).toEqual(['', '', expect.stringMatching(/^[0-9a-f]{32}$/)]);
  });

  it('drops frames queued behind hello of a connection that closed meanwhile', async () => {
    const { bus, conn, socket, send } = setup();
    conn.dispose();
    await send({ id: '1', type: 'room.get', data: { roomId: 'r1' } });
    expect(bus.requests).toEqual([]);
    expect(socket.sent).toEqual([]);
  });
});
