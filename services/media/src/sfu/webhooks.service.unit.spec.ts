import { createHash } from 'node:crypto';
import { Registry } from '@switchboard/platform';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { SfuMetrics } from './sfu.metrics.js';
import { WebhooksService } from './webhooks.service.js';

const API_KEY = 'unit-key';
const API_SECRET = 'unit-secret-0123456789abcdef0123456789';

/** The Authorization LiveKit sends: a JWT (no "Bearer") whose sha256 claim covers the body. */
const sign = (body: string) =>
  new SignJWT({ sha256: createHash('sha256').update(body).digest('base64'), video: {} })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(API_KEY)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(new TextEncoder().encode(API_SECRET));

/**
 * WebhooksService's delivery bookkeeping on a scripted store and SFU service, with webhooks
 * really signed (sfu.spec.ts posts them over HTTP to running replicas).
 */
function setup(sfuOver: Record<string, unknown> = {}, known: { identity: string; userId: string; connectionId: string; participantSid: string }[] = []) {
  const registry = new Registry();
  const metrics = new SfuMetrics(registry);
  const delivered = new Set<string>();
  const stillKnown = new Set(known.map((k) => k.identity));
  const gone: string[] = [];
  const store = {
    firstDelivery: async (id: string) => !delivered.has(id) && !!delivered.add(id),
    forgetDelivery: async (id: string) => void delivered.delete(id),
    left: async (_roomId: string, identity: string) => stillKnown.delete(identity),
    participants: async () => known,
    roomGone: async (roomId: string) => void gone.push(roomId),
  };
  const published: { roomId: string; type: string; data: Record<string, unknown> }[] = [];
  const sfu = { publish: async (roomId: string, type: string, data: Record<string, unknown>) => (published.push({ roomId, type, data }), published.length), ...sfuOver };
  const config = { LIVEKIT_URL: 'ws://127.0.0.1:1', LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, LIVEKIT_WEBHOOK_DEDUPE_S: 600 };
  const logger = { warn: () => undefined };
  const svc = new WebhooksService(sfu as never, store as never, metrics, config as never, logger as never);
  const counted = async () => Object.fromEntries((await registry.getSingleMetric('switchboard_livekit_webhooks_total')!.get()).values.map((v) => [`${v.labels.event}/${v.labels.result}`, v.value]));
  const deliver = async (event: Record<string, unknown>) => {
    const body = JSON.stringify(event);
    return svc.receive(body, await sign(body));
  };
  return { svc, published, gone, delivered, counted, deliver };
}

describe('LiveKit webhook deliveries (scripted store)', () => {
  it('a delivery whose handling fails is forgotten and counted failed, so LiveKit’s retry with the same id is handled', async () => {
    let joins = 0;
    const { deliver, delivered, counted } = setup({
      participantJoined: async () => {
        if (++joins === 1) throw new Error('nats down');
        return true;
      },
    });
    const event = { event: 'participant_joined', id: 'EV_retry', room: { name: 'room_unit1' }, participant: { identity: 'u1:c1', sid: 'PA_1' } };
    await expect(deliver(event)).rejects.toThrow('nats down');
    expect(delivered.has('EV_retry')).toBe(false);
    expect(await deliver(event)).toBe('published');
    expect(await deliver(event)).toBe('duplicate');
    expect([joins, await counted()]).toEqual([2, { 'participant_joined/failed': 1, 'participant_joined/published': 1, 'participant_joined/duplicate': 1 }]);
  });

  it('room_finished announces the participants still known as left, then the room as finished', async () => {
    const known = [
      { identity: 'u1:c1', userId: 'u1', connectionId: 'c1', participantSid: 'PA_1' },
      { identity: 'u2:c2', userId: 'u2', connectionId: 'c2', participantSid: 'PA_2' },
    ];
    const { deliver, published, gone } = setup({}, known);
    expect(await deliver({ event: 'room_finished', id: 'EV_fin', room: { name: 'room_unit2' } })).toBe('published');
    expect(published.map((p) => [p.type, p.data.identity ?? p.data.roomId, p.data.reason])).toEqual([
      ['media.participant_left', 'u1:c1', 'left'],
      ['media.participant_left', 'u2:c2', 'left'],
      ['media.room_finished', 'room_unit2', undefined],
    ]);
    expect(gone).toEqual(['room_unit2']);
  });

  it('ignores rooms not named like ours (the name becomes part of a NATS subject)', async () => {
    const { deliver, published } = setup();
    expect(await deliver({ event: 'room_finished', id: 'EV_foreign', room: { name: 'not ours.*' } })).toBe('ignored');
    expect(published).toEqual([]);
  });
});
