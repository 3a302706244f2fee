import { describe, expect, it } from 'vitest';
import type { NatsConnection, WindowCounter } from '@switchboard/platform';
import { bus } from '@switchboard/proto';
import type { ConnectionRegistry } from '../connections/connection.registry.js';
import { connection, gatewayConfig, metrics, silentLogger } from '../testing/fakes.test.js';
import type { PairingStore } from './pairing.store.js';
import { SignalingService } from './signaling.service.js';

/** What the service writes to NATS, in order: publishes (with their report subject) and requests, each with the signal's payload. */
function recordingNats() {
  const written: { op: 'publish' | 'request'; subject: string; payload: unknown; reply?: string }[] = [];
  const payloadOf = (data: Uint8Array) => (JSON.parse(Buffer.from(bus.Event.decode(data).data).toString()) as { payload: unknown }).payload;
  const nc = {
    publish: (subject: string, data: Uint8Array, opts: { reply: string }) => written.push({ op: 'publish', subject, payload: payloadOf(data), reply: opts.reply }),
    // The target's replica accepts everything.
    request: async (subject: string, data: Uint8Array) => (written.push({ op: 'request', subject, payload: payloadOf(data) }), { string: () => 'ok' }),
    subscribe: () => ({ unsubscribe: () => undefined }),
  };
  return { nc: nc as unknown as NatsConnection, written };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function service(over: Parameters<typeof gatewayConfig>[0] = {}) {
  const { nc, written } = recordingNats();
  const signaling = new SignalingService(nc, {} as PairingStore, {} as WindowCounter, {} as ConnectionRegistry, metrics(), gatewayConfig(over), silentLogger);
  const { conn } = connection('alice');
  conn.rooms.set('r1', { lastSeq: 1, early: [], ahead: new Map() });
  return { signaling, conn, written };
}

describe('SignalingService', () => {
  it('asks with the first signal to a target and publishes every later one, of any kind (ADR 0066)', async () => {
    const { signaling, conn, written } = service();
    await signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind: 'offer', payload: 1 });
    for (const kind of ['answer', 'ice', 'bye', 'custom', 'offer'] as const) await signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind, payload: kind });
    await turn();
    expect(written.map((w) => [w.op, w.payload])).toEqual([['request', 1], ['publish', 'answer'], ['publish', 'ice'], ['publish', 'bye'], ['publish', 'custom'], ['publish', 'offer']]);
    expect(written[5]!.reply).toBe(`${signaling.reportBase}.offer.${conn.id}.c_bob.r1`);
  });

  it('hands a published signal to NATS at once: the connection writes the turn\'s messages together (ADR 0082), not a turn later', async () => {
    const { signaling, conn, written } = service();
    await signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind: 'offer', payload: 0 });
    for (let i = 1; i <= 3; i++) void signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind: 'ice', payload: i });
    // No turn awaited: the NATS connection's own per-turn write (NATS_WRITES=turn) batches them in this turn.
    expect(written.map((w) => [w.op, w.payload])).toEqual([['request', 0], ['publish', 1], ['publish', 2], ['publish', 3]]);
  });

  it('keeps one sender\'s signals in order across publishes and requests', async () => {
    // One trusted pair at a time: asking another target evicts c_bob, so its next signal asks too.
    const { signaling, conn, written } = service({ SIGNAL_TRUSTED_TARGETS: '1' });
    await signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind: 'offer', payload: 'b0' });
    void signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind: 'ice', payload: 'b1' });
    await signaling.signal(conn, { to: 'c_carol', roomId: 'r1', kind: 'offer', payload: 'c0' });
    await signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind: 'ice', payload: 'b2' });
    await turn();
    expect(written.map((w) => [w.op, w.payload])).toEqual([['request', 'b0'], ['publish', 'b1'], ['request', 'c0'], ['request', 'b2']]);
  });

  it('publishes nothing with SIGNAL_TRUST_MS=0: every signal waits for its verdict', async () => {
    const { signaling, conn, written } = service({ SIGNAL_TRUST_MS: '0' });
    for (const kind of ['offer', 'ice', 'ice'] as const) await signaling.signal(conn, { to: 'c_bob', roomId: 'r1', kind, payload: kind });
    await turn();
    expect(written.map((w) => w.op)).toEqual(['request', 'request', 'request']);
  });
});
