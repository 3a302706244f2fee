import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, Stack, testEnv, uid } from '@switchboard/testing/stack';

/** Issue 10 item 3: the admin room list keeps working when rooms carry big metadata. */
describe('admin GET /admin/v1/rooms with big metadata', () => {
  const stack = new Stack();
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    const rooms = await stack.add(startRooms(testEnv()));
    gw = await stack.add(startGateway(testEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}` })));
  });
  afterAll(() => stack.stop());

  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1${path}`, { headers: { 'x-api-key': ADMIN_KEY } });
    return { status: res.status, body: (await res.json()) as { rooms: { id: string; metadata: { tag?: string } }[]; nextCursor: string | null } };
  };

  it('answers limit=100 and pages on through every room', async () => {
    const tag = uid('adm');
    const ours = new Set<string>();
    for (let u = 0; u < 4; u++) {
      const c = await stack.client(gw, uid(`own${u}`));
      for (let i = 0; i < 12; i++) ours.add((await c.request('room.create', { name: `big${i}`, kind: 'group', joinPolicy: 'open', metadata: { tag, blob: 'm'.repeat(8000) } })).room.id);
    }
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const res = await get(`/rooms?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      for (const r of res.body.rooms) if (r.metadata.tag === tag) seen.add(r.id);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ours);
  });
});
