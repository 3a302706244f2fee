import { startGateway } from '@switchboard/gateway/service';
import { startPresence } from '@switchboard/presence/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardClient } from '@switchboard/client/node';
import { SignJWT } from 'jose';
import { ADMIN_JWT_SECRET, ADMIN_KEY, JWT_SECRET, Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';
import type { LooseJson } from '@switchboard/testing/json';

/** A JWT shaped like an admin token, with one thing wrong. */
async function adminLike(sub: string, over: { aud?: string; jti?: string; secret?: string; iat?: number; exp?: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const o = { aud: 'switchboard-admin', jti: `at_${sub}`, secret: ADMIN_JWT_SECRET, iat: now, exp: now + 600, ...over };
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setAudience(o.aud).setIssuedAt(o.iat).setExpirationTime(o.exp);
  if (o.jti) jwt = jwt.setJti(o.jti);
  return jwt.sign(new TextEncoder().encode(o.secret));
}

/** Admin REST (/admin/v1) → gRPC → rooms/presence, against state made by WebSocket clients. */
describe('admin REST API', () => {
  const stack = new Stack();
  let rooms: Awaited<ReturnType<typeof startRooms>>;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let adminSub: string;
  let adminJwt: string;
  const asAdminJwt = { jwt: '' };

  beforeAll(async () => {
    rooms = await stack.add(startRooms(testEnv()));
    const presence = await stack.add(startPresence(testEnv()));
    gw = await stack.add(startGateway(testEnv({ ROOMS_GRPC_URL: `127.0.0.1:${rooms.grpcPort}`, PRESENCE_GRPC_URL: `127.0.0.1:${presence.grpcPort}` })));
    adminSub = uid('admin');
    adminJwt = (await api('POST', '/admin-tokens', { body: { subject: adminSub } })).body.token;
    asAdminJwt.jwt = adminJwt;
  });
  afterAll(() => stack.stop());

  type Auth = { key?: string; jwt?: string; none?: boolean };
  async function api(method: string, path: string, opts: { body?: unknown; auth?: Auth } = {}): Promise<{ status: number; body: LooseJson }> {
    const auth = opts.auth ?? { key: ADMIN_KEY };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth.key) headers['x-api-key'] = auth.key;
    if (auth.jwt) headers.authorization = `Bearer ${auth.jwt}`;
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const audit = async (query: string) => (await api('GET', `/audit?${query}`)).body.entries as { action: string; actor: string; target: string; outcome: string; details: Record<string, unknown>; ts: number; id: string }[];

  it('refuses missing, wrong and non-admin credentials; accepts API keys and admin JWTs', async () => {
    for (const [auth, status, code] of [
      [{ none: true }, 401, 'unauthorized'],
      [{ key: 'wrong-key' }, 401, 'unauthorized'],
      [{ jwt: 'wrong-key' }, 401, 'unauthorized'],
      [{ jwt: 'a.b.c' }, 401, 'unauthorized'],
      [{ jwt: await token(uid('user')) }, 403, 'forbidden'],
      [{ jwt: await token(uid('user'), { roles: ['moderator'] }) }, 403, 'forbidden'],
      // A client JWT is never an admin credential, even one that claims the admin role.
      [{ jwt: await token(uid('user'), { roles: ['admin'] }) }, 403, 'forbidden'],
      [{ jwt: await adminLike(uid('a'), { aud: 'someone-else' }) }, 401, 'unauthorized'],
      [{ jwt: await adminLike(uid('a'), { jti: undefined }) }, 401, 'unauthorized'],
      // Signed with the client secret: a client JWT (whatever its audience), so not an admin.
      [{ jwt: await adminLike(uid('a'), { secret: JWT_SECRET }) }, 403, 'forbidden'],
      [{ jwt: await adminLike(uid('a'), { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) + 600 }) }, 401, 'unauthorized'],
    ] as [Auth, number, string][]) {
      const res = await api('GET', '/rooms', { auth });
      expect(res, JSON.stringify(auth)).toMatchObject({ status, body: { error: { code } } });
    }
    expect((await api('GET', '/rooms', { auth: { key: ADMIN_KEY } })).status).toBe(200);
    expect((await api('GET', '/rooms', { auth: { jwt: ADMIN_KEY } })).status).toBe(200);
    expect((await api('GET', '/rooms', { auth: asAdminJwt })).status).toBe(200);
    // A non-admin cannot mint either, and the refusal happens before anything is recorded.
    expect((await api('POST', '/tokens', { auth: { jwt: await token(uid('user')) }, body: { userId: uid() } })).status).toBe(403);
  });

  it('lets only API keys mint admin tokens, bounds their lifetime, and revokes them on the next request', async () => {
    // An admin JWT cannot mint admin tokens (no escalation into long-lived credentials).
    expect(await api('POST', '/admin-tokens', { body: { subject: uid('a') }, auth: asAdminJwt })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await api('POST', '/admin-tokens', { body: { subject: uid('a'), ttlSeconds: 30 * 24 * 3600 } })).status).toBe(400);
    const sub = uid('ops');
    const minted = await api('POST', '/admin-tokens', { body: { subject: sub, ttlSeconds: 600 } });
    expect(minted).toMatchObject({ status: 201, body: { token: expect.any(String), jti: expect.stringMatching(/^at_/), expiresAt: expect.any(Number) } });
    const claims = JSON.parse(Buffer.from(minted.body.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub, aud: 'switchboard-admin', jti: minted.body.jti });
    expect(claims.exp - claims.iat).toBe(600);
    const auth = { jwt: minted.body.token };
    expect((await api('GET', '/rooms', { auth })).status).toBe(200);
    // The admin token is not a client token either.
    await expect(SwitchboardClient.connect(`ws://127.0.0.1:${gw.httpPort}/ws`, minted.body.token)).rejects.toBeTruthy();

    expect(await api('POST', '/revocations', { body: { jti: minted.body.jti } })).toMatchObject({ status: 200, body: { jti: minted.body.jti } });
    expect(await api('GET', '/rooms', { auth })).toMatchObject({ status: 401, body: { error: { code: 'unauthorized', message: 'admin token revoked' } } });
    const [mintEntry] = await audit(`action=admin_token.mint&limit=1`);
    expect(mintEntry).toMatchObject({ actor: 'key:test…', target: sub, outcome: 'ok', details: { jti: minted.body.jti } });
    expect(JSON.stringify(mintEntry)).not.toContain(minted.body.token);
    const [revokeEntry] = await audit(`action=admin_token.revoke&limit=1`);
    expect(revokeEntry).toMatchObject({ actor: 'key:test…', target: minted.body.jti, outcome: 'ok' });
  });

  it('lists and gets rooms made by clients, kicks and bans over gRPC, closes the room; all audited', async () => {
    const alice = await stack.client(gw, uid('alice'));
    const bob = await stack.client(gw, uid('bob'));
    const { room } = await alice.request('room.create', { name: 'ops', kind: 'group', joinPolicy: 'open', metadata: { topic: 'incident' } });
    await bob.request('room.join', { roomId: room.id });

    const listed = await api('GET', '/rooms?limit=500');
    expect(listed.status).toBe(200);
    expect(listed.body.rooms.find((r: { id: string }) => r.id === room.id)).toEqual({
      id: room.id, name: 'ops', description: '', kind: 'group', joinPolicy: 'open', visibility: 'public', ownerId: alice.hello.userId,
      maxParticipants: expect.any(Number), participantCount: 2, createdAt: room.createdAt, metadata: { topic: 'incident' }, closed: false,
    });
    await alice.request('room.create', { name: 'ops-2', kind: 'group', joinPolicy: 'open' });
    const page = await api('GET', '/rooms?limit=1');
    expect(page.body.rooms).toHaveLength(1);
    expect(typeof page.body.nextCursor).toBe('string');
    expect((await api('GET', `/rooms?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`)).body.rooms[0].id).not.toBe(page.body.rooms[0].id);

    const got = await api('GET', `/rooms/${room.id}`);
    expect(got.body.room).toMatchObject({ id: room.id, participantCount: 2, metadata: { topic: 'incident' } });
    expect(got.body.participants.map((p: { userId: string }) => p.userId).sort()).toEqual([alice.hello.userId, bob.hello.userId].sort());
    expect(got.body.participants.find((p: { userId: string }) => p.userId === bob.hello.userId)).toMatchObject({ connectionId: bob.hello.connectionId, role: 'member', muted: false, nodeId: gw.platform.config.NODE_ID });
    const parts = await api('GET', `/rooms/${room.id}/participants`);
    expect(parts.body.participants).toHaveLength(2);

    const kicked = await api('POST', `/rooms/${room.id}/kick`, { body: { userId: bob.hello.userId, reason: 'spam' }, auth: asAdminJwt });
    expect(kicked).toEqual({ status: 200, body: { roomId: room.id, userId: bob.hello.userId, removed: 'kicked' } });
    expect((await bob.waitFor('room.removed', (e) => e.data.roomId === room.id)).data).toMatchObject({ reason: 'kicked', message: 'spam' });
    expect((await alice.waitFor('room.participant_left', (e) => e.room === room.id)).data).toMatchObject({ userId: bob.hello.userId, reason: 'kicked' });

    // Kicking someone who is not in the room is 404; the owner cannot be removed (403, typed): close the room instead.
    const notThere = await api('POST', `/rooms/${room.id}/kick`, { body: { userId: bob.hello.userId } });
    expect(notThere).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'user is not in this room' } } });
    const owner = await api('POST', `/rooms/${room.id}/kick`, { body: { userId: alice.hello.userId } });
    expect(owner).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await api('GET', `/rooms/${room.id}/participants`)).body.participants.map((p: { userId: string }) => p.userId)).toContain(alice.hello.userId);

    await bob.request('room.join', { roomId: room.id });
    const banned = await api('POST', `/rooms/${room.id}/ban`, { body: { userId: bob.hello.userId } });
    expect(banned.body.removed).toBe('banned');
    await bob.waitFor('room.removed', (e) => e.data.roomId === room.id && e.data.reason === 'banned');
    await expect(bob.request('room.join', { roomId: room.id })).rejects.toMatchObject({ code: 'forbidden' });

    expect(await api('DELETE', `/rooms/${room.id}`)).toEqual({ status: 200, body: { roomId: room.id, closed: true } });
    await alice.waitFor('room.closed', (e) => e.room === room.id);
    expect((await api('GET', `/rooms/${room.id}`)).body.room).toMatchObject({ closed: true, participantCount: 0 });
    const open = (await api('GET', '/rooms?limit=500')).body.rooms.map((r: { id: string }) => r.id);
    const all = (await api('GET', '/rooms?limit=500&includeClosed=true')).body.rooms.map((r: { id: string }) => r.id);
    expect(open).not.toContain(room.id);
    expect(all).toContain(room.id);

    const kicks = await audit(`action=room.kick&actor=admin:${adminSub}`);
    expect(kicks[0]).toMatchObject({ actor: `admin:${adminSub}`, action: 'room.kick', target: `${room.id}/${bob.hello.userId}`, outcome: 'ok', details: { reason: 'spam' } });
    const byKey = await audit('limit=200&actor=key:test…');
    expect(byKey.find((e) => e.action === 'room.ban' && e.target === `${room.id}/${bob.hello.userId}`)).toMatchObject({ outcome: 'ok' });
    expect(byKey.find((e) => e.action === 'room.close' && e.target === room.id)).toMatchObject({ outcome: 'ok', actor: 'key:test…' });
    // Newest first.
    const ts = byKey.map((e) => e.ts);
    expect([...ts].sort((a, b) => b - a)).toEqual(ts);
  });

  it("shows a connected user's presence and sessions, and disconnects them (close 4003)", async () => {
    const userId = uid('carol');
    const phone = await stack.client(gw, userId, { claims: { device: 'phone' } });
    const laptop = await stack.client(gw, userId, { claims: { device: 'laptop' } });

    const presence = await until(async () => {
      const res = await api('GET', `/users/${userId}/presence`);
      return res.body.status === 'online' && res.body.devices.length === 2 && res.body;
    }, 'carol online on two devices');
    expect(presence).toMatchObject({ userId, status: 'online' });
    expect(presence.devices.sort()).toEqual(['laptop', 'phone']);

    const sessions = await until(async () => {
      const res = await api('GET', `/users/${userId}/sessions`);
      return res.body.sessions.length === 2 && res.body.sessions;
    }, 'two sessions');
    expect(sessions.find((s: { connectionId: string }) => s.connectionId === phone.hello.connectionId)).toEqual({
      connectionId: phone.hello.connectionId, userId, sessionId: phone.hello.sessionId, device: 'phone', nodeId: gw.platform.config.NODE_ID, connectedAt: expect.any(Number),
    });

    const one = await api('POST', `/users/${userId}/disconnect`, { body: { connectionId: phone.hello.connectionId, reason: 'maintenance' } });
    expect(one).toEqual({ status: 200, body: { disconnected: 1 } });
    expect(await phone.closed()).toBe(4003);
    expect((await api('GET', `/users/${userId}/sessions`)).body.sessions.map((s: { connectionId: string }) => s.connectionId)).toEqual([laptop.hello.connectionId]);

    expect((await api('POST', `/users/${userId}/disconnect`, { body: {} })).body).toEqual({ disconnected: 1 });
    expect(await laptop.closed()).toBe(4003);
    await until(async () => (await api('GET', `/users/${userId}/presence`)).body.status === 'offline', 'carol offline');

    const [entry] = await audit(`action=user.disconnect&limit=5&actor=key:test…`);
    expect(entry).toMatchObject({ target: userId, outcome: 'ok', details: { disconnected: 1 } });
  });

  it('mints tokens and records them in the audit log without the token', async () => {
    const userId = uid('minted');
    const res = await api('POST', '/tokens', { body: { userId, roles: ['member'], ttlSeconds: 60 }, auth: asAdminJwt });
    expect(res.status).toBe(201);
    const [entry] = await audit(`action=token.mint&actor=admin:${adminSub}`);
    expect(entry).toMatchObject({ action: 'token.mint', target: userId, outcome: 'ok', details: { roles: ['member'], ttlSeconds: 60 } });
    expect(JSON.stringify(entry)).not.toContain(res.body.token);
  });

  it('answers bad input with 400 bad_request and unknown rooms with 404 not_found, auditing failed mutations', async () => {
    for (const [method, path, body] of [
      ['GET', '/rooms/a.b'],
      ['GET', '/rooms?limit=0'],
      ['GET', '/rooms?includeClosed=maybe'],
      ['GET', '/users/has%20space/presence'],
      ['GET', '/audit?action=nope'],
      ['POST', '/tokens', { userId: 'has space' }],
      ['POST', `/rooms/${uid('r')}/kick`, { userId: 'x.y' }],
      ['POST', `/users/${uid()}/disconnect`, { connectionId: 'a b' }],
    ] as [string, string, unknown?][]) {
      const res = await api(method, path, { body, auth: asAdminJwt });
      expect(res, `${method} ${path}`).toMatchObject({ status: 400, body: { error: { code: 'bad_request', message: expect.any(String) } } });
    }
    const missing = uid('r');
    expect(await api('GET', `/rooms/${missing}`)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await api('GET', `/rooms/${missing}/participants`)).status).toBe(404);
    expect(await api('DELETE', `/rooms/${missing}`, { auth: asAdminJwt })).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect((await api('POST', `/rooms/${missing}/ban`, { body: { userId: uid() }, auth: asAdminJwt })).status).toBe(404);

    const mine = await audit(`actor=admin:${adminSub}&limit=20`);
    expect(mine.find((e) => e.action === 'room.close' && e.target === missing)).toMatchObject({ outcome: 'not_found', details: { error: 'room not found' } });
    expect(mine.find((e) => e.action === 'room.ban' && e.target.startsWith(`${missing}/`))).toMatchObject({ outcome: 'not_found' });
    expect(mine.find((e) => e.action === 'room.kick' && e.target.endsWith('/x.y'))).toMatchObject({ outcome: 'bad_request' });
    expect(mine.find((e) => e.action === 'token.mint' && e.target === 'has space')).toMatchObject({ outcome: 'bad_request' });
    expect(mine.find((e) => e.action === 'user.disconnect')).toMatchObject({ outcome: 'bad_request' });
    expect((await audit(`actor=admin:${adminSub}&limit=2`)).length).toBe(2);
  });

  it('keeps the error envelope for router and body-parser errors, answers 405 with Allow, sends no X-Powered-By', async () => {
    const raw = (method: string, path: string, init: { body?: string; type?: string } = {}) =>
      fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1${path}`, { method, headers: { 'x-api-key': ADMIN_KEY, 'content-type': init.type ?? 'application/json' }, body: init.body });
    const check = async (res: Response, status: number, code: string) => {
      expect(res.status, `${res.url}`).toBe(status);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(await res.json()).toMatchObject({ error: { code, message: expect.any(String) } });
      return res;
    };
    await check(await raw('GET', '/nope'), 404, 'not_found');
    await check(await raw('GET', '/rooms/a/b/c/d'), 404, 'not_found');
    await check(await raw('POST', '/tokens', { body: '{"userId": ' }), 400, 'bad_request');
    await check(await raw('POST', '/tokens', { body: JSON.stringify({ userId: 'u', name: 'x'.repeat(200_000) }) }), 413, 'too_large');
    const put = await check(await raw('PUT', '/rooms'), 405, 'bad_request');
    expect(put.headers.get('allow')).toBe('GET');
    const putRoom = await check(await raw('PUT', `/rooms/${uid('r')}`), 405, 'bad_request');
    expect(putRoom.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET']);
    expect((await check(await raw('GET', '/tokens'), 405, 'bad_request')).headers.get('allow')).toBe('POST');
    const ok = await raw('GET', '/rooms');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-powered-by')).toBeNull();
    expect((await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).headers.get('x-powered-by')).toBeNull();
  });

  it('documents every registered admin route in the OpenAPI document, served without auth', async () => {
    const res = await api('GET', '/openapi.json', { auth: { none: true } });
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc).toMatchObject({ openapi: '3.1.0', components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, bearer: { type: 'http', scheme: 'bearer' } } } });

    // Every route Nest registered under /admin/v1 appears in the document, and vice versa.
    const router = gw.app.getHttpAdapter().getInstance().router as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    const registered = router.stack
      .filter((l) => l.route?.path.startsWith('/admin/v1/'))
      .flatMap((l) => Object.keys(l.route!.methods).filter((m) => m !== '_all').map((m) => `${m} ${l.route!.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(registered.length).toBeGreaterThanOrEqual(12);
    expect(registered.sort()).toEqual(documented.sort());

    const kick = doc.paths['/admin/v1/rooms/{roomId}/kick'].post;
    expect(kick.parameters).toEqual([{ name: 'roomId', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', pattern: '^[A-Za-z0-9_-]+$' }) }]);
    expect(kick.requestBody.content['application/json'].schema).toMatchObject({ type: 'object', required: ['userId'], properties: { userId: { type: 'string' }, reason: { type: 'string' } } });
    expect(kick.responses['401']).toEqual({ $ref: '#/components/responses/E401' });
    expect(kick['x-audit-action']).toBe('room.kick');
    expect(doc.paths['/admin/v1/rooms'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['cursor', 'limit', 'includeClosed']);
    expect(doc.paths['/admin/v1/openapi.json'].get.security).toEqual([]);
  });

  it('answers 503 unavailable (and audits it) when the rooms service is down', async () => {
    await rooms.stop();
    expect(await api('GET', '/rooms')).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
    const roomId = uid('r');
    expect((await api('DELETE', `/rooms/${roomId}`, { auth: asAdminJwt })).status).toBe(503);
    const [entry] = await audit(`action=room.close&actor=admin:${adminSub}&limit=1`);
    expect(entry).toMatchObject({ target: roomId, outcome: 'unavailable' });
  });
});
