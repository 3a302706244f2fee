import { Registry } from '@switchboard/platform';
import { notFound, unavailable } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { SfuMetrics } from './sfu.metrics.js';
import { SfuService } from './sfu.service.js';

/**
 * SfuService's enforcement outcomes on a scripted LiveKit client and store (sfu.spec.ts runs the
 * flows against a LiveKit-compatible server): a participant or room already gone counts as done,
 * any other failure is counted and surfaces, and reconcile goes on past a failing room.
 */
function setup(livekit: Record<string, unknown>, store: Record<string, unknown> = {}) {
  const registry = new Registry();
  const metrics = new SfuMetrics(registry);
  const published: { roomId: string; type: string }[] = [];
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const ended: unknown[][] = [];
  const epochs: string[] = [];
  const fakeStore = { bumpEpoch: async (roomId: string, userId: string) => void epochs.push(`${roomId}/${userId}`), ...store };
  const calls = { accessEnded: async (...args: unknown[]) => (ended.push(args), false) };
  const events = { toRoom: async (roomId: string, type: string) => (published.push({ roomId, type }), published.length) };
  const logger = { warn: (obj: Record<string, unknown>, msg: string) => void warnings.push({ obj, msg }) };
  const svc = new SfuService({ configured: true, ...livekit } as never, fakeStore as never, {} as never, calls as never, events as never, metrics, {} as never, logger as never);
  const enforcements = async () =>
    Object.fromEntries((await registry.getSingleMetric('switchboard_sfu_enforcements_total')!.get()).values.map((v) => [`${v.labels.action}/${v.labels.result}`, v.value]));
  return { svc, published, warnings, ended, epochs, enforcements };
}

const participant = (identity: string) => ({ identity, sid: `PA_${identity}`, tracks: [] });

describe('SfuService enforcement outcomes (scripted LiveKit)', () => {
  it('a kick removes every LiveKit participant of the user; one already gone counts as gone, not failed', async () => {
    const removed: string[] = [];
    const { svc, epochs, ended, enforcements } = setup({
      listParticipants: async () => [participant('u1:c1'), participant('u1:c2'), participant('u2:c3')],
      removeParticipant: async (_room: string, identity: string) => {
        if (identity === 'u1:c1') throw notFound('participant not found');
        removed.push(identity);
      },
    });
    await svc.accessChanged({ change: 'kick', roomId: 'r1', userId: 'u1' } as never);
    expect(epochs).toEqual(['r1/u1']); // before anything else: an older token cannot bring the user back
    expect(ended).toEqual([['r1', 'u1']]);
    expect(removed).toEqual(['u1:c2']);
    expect(await enforcements()).toEqual({ 'remove/gone': 1, 'remove/ok': 1 });
  });

  it('a failing LiveKit call is counted as failed and surfaces (the access change is retried by its sender)', async () => {
    const { svc, enforcements } = setup({
      listParticipants: async () => [participant('u1:c1')],
      removeParticipant: async () => Promise.reject(unavailable('livekit unreachable')),
    });
    await expect(svc.accessChanged({ change: 'ban', roomId: 'r1', userId: 'u1' } as never)).rejects.toMatchObject({ code: 'unavailable' });
    expect(await enforcements()).toEqual({ 'remove/failed': 1 });
  });

  it('a room LiveKit no longer has needs no removal; any other listing failure surfaces', async () => {
    const gone = setup({ listParticipants: async () => Promise.reject(notFound('room not found')) });
    await expect(gone.svc.accessChanged({ change: 'kick', roomId: 'r1', userId: 'u1' } as never)).resolves.toBeUndefined();
    expect(await gone.enforcements()).toEqual({});
    const down = setup({ listParticipants: async () => Promise.reject(unavailable('livekit unreachable')) });
    await expect(down.svc.accessChanged({ change: 'kick', roomId: 'r1', userId: 'u1' } as never)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('reconcile logs a room that fails and still reconciles the others', async () => {
    const { svc, published, warnings } = setup(
      { listRooms: async () => [] },
      {
        rooms: async () => ['bad', 'good'],
        participants: async (roomId: string) => (roomId === 'bad' ? Promise.reject(new Error('redis down')) : []),
        roomGone: async () => undefined,
      },
    );
    await svc.reconcile();
    expect(warnings).toEqual([{ obj: expect.objectContaining({ roomId: 'bad' }), msg: 'reconcile of an SFU room failed' }]);
    expect(published).toEqual([{ roomId: 'good', type: 'media.room_finished' }]);
  });
});
