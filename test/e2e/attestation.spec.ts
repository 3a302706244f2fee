import { createHash, createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { attestationService, startAttestation } from '@switchboard/attestation/service';
import { ServerListError, verifyServerList } from '@switchboard/client/node';
import { startGateway } from '@switchboard/gateway/service';
import { createRedis, type Redis } from '@switchboard/platform';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDatabase, freePort, removeDatabase } from '@switchboard/testing/infra';
import { ADMIN_KEY, attestationTestEnv, Stack, testEnv, token, uid, until } from '@switchboard/testing/stack';
import { slot } from '@switchboard/testing/slot';
import type { LooseJson } from '@switchboard/testing/json';

/** Ed25519 key pair as the operator would make it (`openssl genpkey -algorithm ed25519`), PEM. */
const pemPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
};

const SERVER_TTL_MS = 4000;
// The replay test waits one challenge TTL out (issue 12: 2.5 s, not 5). Still long enough for a
// challenge → verify round and for the rate-limit test's 11 challenges to fall in one window.
const CHALLENGE_TTL_MS = 2500;

/**
 * Attestation end to end: admin API → gateway → gRPC → attestation (Postgres large objects,
 * Redis nonces), the public /v1/attest/* routes driven by an independent client written here
 * with node:crypto, enforcement at the WebSocket upgrade, and the signed server list.
 */
describe('attestation', () => {
  const stack = new Stack();
  const tokenKeys = pemPair();
  const listKeys = pemPair();
  let att: Awaited<ReturnType<typeof startAttestation>>;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let redis: Redis;
  let db: pg.Client;
  const platform = uid('p').toLowerCase();
  const REFERENCE_MAX_MIB = 4;
  const publicUrl = `ws://${uid('gw')}.example.test/ws`;

  beforeAll(async () => {
    att = await stack.add(
      startAttestation(
        attestationTestEnv({
          ATTESTATION_SIGNING_KEY: tokenKeys.privatePem,
          SERVER_LIST_SIGNING_KEY: listKeys.privatePem,
          SERVER_LIST_KEY_ID: 'servers-a',
          SERVER_TTL_MS: String(SERVER_TTL_MS),
          CHALLENGE_TTL_MS: String(CHALLENGE_TTL_MS),
          // The upload cap, lowered from its 100 MiB default (asserted below) so the over-the-cap
          // upload streams 5 MiB, not 101, through the gateway, gRPC and Postgres (issue 12, ADR 0085).
          REFERENCE_MAX_BYTES: String(REFERENCE_MAX_MIB * 1024 * 1024),
        }),
      ),
    );
    gw = await stack.add(
      startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, ATTESTATION_MODE: 'enforce', PUBLIC_URL: publicUrl, REGION: 'eu-test', SERVER_HEARTBEAT_MS: '500', ATTEST_RATE_PER_MIN: '1000' })),
    );
    redis = createRedis(slot().redisUrl);
    stack.onStop(() => redis.quit());
    db = new pg.Client({ connectionString: slot().attestationDatabaseUrl });
    await db.connect();
    stack.onStop(() => db.end());
  });
  afterAll(() => stack.stop());

  // ---- HTTP helpers ----
  async function http(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: LooseJson; headers: Headers; text: string }> {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers, text };
  }
  const admin = (method: string, path: string, body?: unknown) => http(gw.httpPort, method, `/admin/v1${path}`, body, { 'x-api-key': ADMIN_KEY });
  const pub = (method: string, path: string, body?: unknown) => http(gw.httpPort, method, path, body);

  async function upload(plat: string, version: string, bytes: Buffer) {
    const res = await fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1/attestation/references/${plat}/${version}`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
    });
    return { status: res.status, body: (await res.json()) as LooseJson };
  }

  // ---- the independent device implementation (node:crypto only) ----
  interface Device {
    id: string;
    privateKey: KeyObject;
  }
  async function newBuild(version: string, file = randomBytes(200_000 + Math.floor(Math.random() * 1000))) {
    const created = await admin('POST', '/attestation/build-tokens', { platform, version, label: 'ci' });
    expect(created.status).toBe(201);
    expect((await upload(platform, version, file)).status).toBe(201);
    return { buildToken: created.body.token as string, tokenId: created.body.buildToken.id as string, file };
  }
  async function register(buildToken: string, version: string): Promise<{ status: number; body: LooseJson; device?: Device }> {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const res = await pub('POST', '/v1/attest/register', { buildToken, platform, version, devicePublicKey: raw });
    return { ...res, device: res.status === 201 ? { id: res.body.deviceId, privateKey } : undefined };
  }
  const macOf = (nonce: string, file: Buffer, ranges: { offset: number; length: number }[]) => {
    const h = createHmac('sha256', Buffer.from(nonce, 'base64url'));
    for (const r of ranges) h.update(file.subarray(r.offset, r.offset + r.length));
    return h.digest('base64url');
  };
  const signAs = (key: KeyObject, deviceId: string, nonce: string, mac: string) => sign(null, Buffer.from(`sb-attest-v1.${deviceId}.${nonce}.${mac}`, 'utf8'), key).toString('base64url');
  async function challenge(deviceId: string) {
    const res = await pub('POST', '/v1/attest/challenge', { deviceId });
    expect(res.status).toBe(200);
    return res.body as { nonce: string; ranges: { offset: number; length: number }[]; expiresAt: number };
  }
  async function attest(device: Device, file: Buffer): Promise<string> {
    const c = await challenge(device.id);
    const mac = macOf(c.nonce, file, c.ranges);
    const res = await pub('POST', '/v1/attest/verify', { deviceId: device.id, nonce: c.nonce, mac, signature: signAs(device.privateKey, device.id, c.nonce, mac) });
    expect(res.status).toBe(200);
    return res.body.token;
  }

  // ---- WebSocket helper: the close code, or hello ----
  async function upgrade(port: number, attestation?: { token: string; via: 'header' | 'subprotocol' }): Promise<{ code?: number; reason?: string; hello?: LooseJson }> {
    const jwt = await token(uid('user'));
    const protocols = ['switchboard.v1', ...(attestation?.via === 'subprotocol' ? [`attest.${attestation.token}`] : [])];
    const headers: Record<string, string> = { authorization: `Bearer ${jwt}`, ...(attestation?.via === 'header' ? { 'switchboard-attestation': attestation.token } : {}) };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, protocols, { headers });
    return new Promise((resolve, reject) => {
      ws.once('message', (data) => {
        const frame = JSON.parse(data.toString());
        ws.close();
        resolve({ hello: frame.type === 'hello' ? frame.data : undefined });
      });
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.once('error', reject);
    });
  }

  it('registration: a good build token registers a device; unknown, revoked and foreign tokens get 403 with the error envelope', async () => {
    const build = await newBuild('1.0.0');
    const ok = await register(build.buildToken, '1.0.0');
    expect(ok.status).toBe(201);
    expect(ok.body.deviceId).toMatch(/^dev_/);

    const unknown = await register(`sbt_${randomBytes(32).toString('base64url')}`, '1.0.0');
    expect(unknown.status).toBe(403);
    expect(unknown.body).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });

    const wrongVersion = await register(build.buildToken, '1.0.1');
    expect(wrongVersion.status).toBe(403);

    // Listed without its secret; stored only as a hash.
    const listed = await admin('GET', `/attestation/build-tokens?platform=${platform}`);
    expect(listed.body.buildTokens.find((t: LooseJson) => t.id === build.tokenId)).toMatchObject({ platform, version: '1.0.0', revokedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(build.buildToken);
    const stored = await db.query('SELECT token_hash FROM build_tokens WHERE id = $1', [build.tokenId]);
    expect(stored.rows[0].token_hash).toBe(createHash('sha256').update(build.buildToken).digest('hex'));

    expect((await admin('DELETE', `/attestation/build-tokens/${build.tokenId}`)).body.buildToken.revokedAt).toEqual(expect.any(Number));
    const revoked = await register(build.buildToken, '1.0.0');
    expect(revoked.status).toBe(403);
    expect(revoked.body.error.code).toBe('forbidden');
    // Devices of a revoked token are not challenged any more.
    expect((await pub('POST', '/v1/attest/challenge', { deviceId: ok.body.deviceId })).status).toBe(403);

    const malformed = await pub('POST', '/v1/attest/register', { buildToken: build.buildToken, platform, version: '1.0.0', devicePublicKey: 'short' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('bad_request');
  });

  it('a full challenge/verify round against an uploaded reference yields an attestation token for the gateway audience', async () => {
    const file = randomBytes(333_333);
    const build = await newBuild('1.1.0', file);
    const refs = await admin('GET', `/attestation/references?platform=${platform}`);
    expect(refs.body.references.find((r: LooseJson) => r.version === '1.1.0')).toMatchObject({ size: file.length, sha256: createHash('sha256').update(file).digest('hex') });
    const { device } = await register(build.buildToken, '1.1.0');
    const c = await challenge(device!.id);
    expect(c.ranges.length).toBeGreaterThan(0);
    for (const r of c.ranges) expect(r.offset + r.length).toBeLessThanOrEqual(file.length);
    expect(c.expiresAt).toBeGreaterThan(Date.now());
    const mac = macOf(c.nonce, file, c.ranges);
    const res = await pub('POST', '/v1/attest/verify', { deviceId: device!.id, nonce: c.nonce, mac, signature: signAs(device!.privateKey, device!.id, c.nonce, mac) });
    expect(res.status).toBe(200);
    const claims = decodeJwt(res.body.token);
    expect(claims).toMatchObject({ sub: device!.id, platform, version: '1.1.0', aud: 'switchboard-gateway', iss: 'switchboard-attestation' });
    // Signed with the attestation key (its own key, not the client JWT secret).
    const [h, p, s] = (res.body.token as string).split('.');
    expect(verify(null, Buffer.from(`${h}.${p}`), createPublicKey(tokenKeys.publicPem), Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('version policy: the gateway in enforce mode refuses unattested, blocked and too old clients and tells attested ones the recommended version', async () => {
    const builds = Object.fromEntries(await Promise.all(['1.9.0', '2.1.0', '2.2.0'].map(async (v) => [v, await newBuild(v)] as const)));
    const tokens: Record<string, string> = {};
    for (const v of Object.keys(builds)) {
      const { device } = await register(builds[v]!.buildToken, v);
      tokens[v] = await attest(device!, builds[v]!.file);
    }
    const set = await admin('POST', `/attestation/policies/${platform}`, { minimum: '2.0.0', blocked: ['2.1.0'], recommended: '2.3.0' });
    expect(set.status).toBe(200);
    expect(set.body.policy).toMatchObject({ platform, minimum: '2.0.0', blocked: ['2.1.0'], recommended: '2.3.0' });
    expect((await pub('GET', '/v1/attest/versions')).body.policies.find((p: LooseJson) => p.platform === platform)).toMatchObject({ minimum: '2.0.0', blocked: ['2.1.0'], recommended: '2.3.0' });

    expect(await upgrade(gw.httpPort)).toEqual({ code: 4010, reason: 'attestation token required' });
    expect((await upgrade(gw.httpPort, { token: 'not.a.jwt', via: 'header' })).code).toBe(4010);
    // The policy reaches the gateway through the NATS notice.
    await until(async () => (await upgrade(gw.httpPort, { token: tokens['2.1.0']!, via: 'header' })).code === 4011, 'the blocked version to be refused');
    expect(await upgrade(gw.httpPort, { token: tokens['1.9.0']!, via: 'subprotocol' })).toEqual({ code: 4012, reason: 'version 1.9.0 is below the minimum 2.0.0' });
    const accepted = await upgrade(gw.httpPort, { token: tokens['2.2.0']!, via: 'subprotocol' });
    expect(accepted.hello?.attestation).toEqual({ platform, version: '2.2.0', recommended: '2.3.0', updateRecommended: true });

    // Lifting the block lets 2.1.0 in (again through the notice).
    await admin('POST', `/attestation/policies/${platform}`, { minimum: '2.0.0', blocked: [], recommended: '2.3.0' });
    await until(async () => (await upgrade(gw.httpPort, { token: tokens['2.1.0']!, via: 'header' })).hello, 'the unblocked version to be accepted');

    // log mode: the same refusals are only logged and counted.
    const logGw = await stack.add(startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, ATTESTATION_MODE: 'log' })));
    expect((await upgrade(logGw.httpPort)).hello).toBeDefined();
    expect((await upgrade(logGw.httpPort, { token: tokens['1.9.0']!, via: 'header' })).hello?.attestation).toMatchObject({ version: '1.9.0' });
    const metrics = await (await fetch(`http://127.0.0.1:${logGw.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_gateway_attestation_checks_total\{[^}]*mode="log"[^}]*result="unattested"[^}]*\} 1/);
    expect(metrics).toMatch(/switchboard_gateway_attestation_checks_total\{[^}]*mode="log"[^}]*result="too_old"[^}]*\} 1/);
    await admin('DELETE', `/attestation/policies/${platform}`);
  });

  it('/v1/servers: signed over the exact body, verified with crypto.verify and by the SDK; changed bytes, stale lists and unknown keys are rejected', async () => {
    const fetchList = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/servers`);
      return { body: Buffer.from(await res.arrayBuffer()), signature: res.headers.get('switchboard-signature')! };
    };
    const listed = await until(async () => {
      const l = await fetchList(gw.httpPort);
      return JSON.parse(l.body.toString()).servers.some((s: LooseJson) => s.endpoint === publicUrl) ? l : undefined;
    }, 'the gateway to register');
    expect(verify(null, listed.body, createPublicKey(listKeys.publicPem), Buffer.from(listed.signature, 'base64url'))).toBe(true);
    const keys = { 'servers-a': { publicKey: listKeys.publicPem } };
    const list = verifyServerList(listed.body, listed.signature, keys);
    expect(list.keyId).toBe('servers-a');
    expect(list.servers.find((s) => s.endpoint === publicUrl)).toMatchObject({ region: 'eu-test', nodeId: gw.platform.config.NODE_ID });

    const tampered = Buffer.from(listed.body);
    tampered[tampered.indexOf('eu-test')] ^= 1;
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as ServerListError).reason;
      }
      return 'accepted';
    };
    expect(reason(() => verifyServerList(tampered, listed.signature, keys))).toBe('bad_signature');
    expect(reason(() => verifyServerList(listed.body, listed.signature, keys, { now: list.timestamp + 5 * 60_000 + 1 }))).toBe('stale');
    expect(reason(() => verifyServerList(listed.body, listed.signature, { 'servers-b': { publicKey: listKeys.publicPem } }))).toBe('unknown_key');
  });

  it('key rotation: during the window lists signed with the old and the new key both verify; after it the old one is refused', async () => {
    const next = pemPair();
    const attB = await stack.add(startAttestation(attestationTestEnv({ SERVER_LIST_SIGNING_KEY: next.privatePem, SERVER_LIST_KEY_ID: 'servers-b', SERVER_TTL_MS: String(SERVER_TTL_MS) })));
    const gwB = await stack.add(startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${attB.grpcPort}` })));
    const get = async (port: number) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/servers`);
      return { body: await res.text(), signature: res.headers.get('switchboard-signature')! };
    };
    const oldList = await get(gw.httpPort);
    const newList = await get(gwB.httpPort);
    const windowEnd = Date.now() + 60_000;
    const ring = { 'servers-a': { publicKey: listKeys.publicPem, notAfter: windowEnd }, 'servers-b': { publicKey: next.publicPem } };
    expect(verifyServerList(oldList.body, oldList.signature, ring).keyId).toBe('servers-a');
    expect(verifyServerList(newList.body, newList.signature, ring).keyId).toBe('servers-b');
    expect(() => verifyServerList(oldList.body, oldList.signature, ring, { now: windowEnd + 1 })).toThrow(/no longer accepted/);
    // A list signed by the new key does not verify under the old key's id.
    expect(() => verifyServerList(newList.body.replace('"servers-b"', '"servers-a"'), newList.signature, ring)).toThrow(ServerListError);
  });

  // These two wait out a TTL each (challenge, server) and share nothing: run together, they wait
  // once (issue 12, ADR 0103).
  it.concurrent('refuses a replayed nonce, an expired challenge, a wrong MAC, a wrong device key and another device’s nonce', async () => {
    const build = await newBuild('1.2.0');
    const { device } = await register(build.buildToken, '1.2.0');
    const { device: other } = await register(build.buildToken, '1.2.0');
    const answer = (d: Device, c: { nonce: string; ranges: LooseJson[] }, opts: { key?: KeyObject; file?: Buffer; as?: string } = {}) => {
      const mac = macOf(c.nonce, opts.file ?? build.file, c.ranges);
      const id = opts.as ?? d.id;
      return pub('POST', '/v1/attest/verify', { deviceId: id, nonce: c.nonce, mac, signature: signAs(opts.key ?? d.privateKey, id, c.nonce, mac) });
    };
    const expectRefused = (res: { status: number; body: LooseJson }) => {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    };

    const c1 = await challenge(device!.id);
    expect((await answer(device!, c1)).status).toBe(200);
    expectRefused(await answer(device!, c1)); // replay

    expectRefused(await answer(device!, await challenge(device!.id), { file: randomBytes(build.file.length) })); // wrong MAC
    expectRefused(await answer(device!, await challenge(device!.id), { key: generateKeyPairSync('ed25519').privateKey })); // wrong key
    expectRefused(await answer(other!, await challenge(device!.id))); // the other device answers this device's nonce

    const c2 = await challenge(device!.id);
    await until(async () => (await redis.exists(`sb:att:nonce:${c2.nonce}`)) === 0, 'the challenge to expire', CHALLENGE_TTL_MS + 5000, 200);
    expectRefused(await answer(device!, c2)); // expired

    const metrics = await (await fetch(`http://127.0.0.1:${att.httpPort}/metrics`)).text();
    for (const outcome of ['ok', 'unknown_nonce', 'bad_mac', 'bad_signature', 'foreign_nonce']) expect(metrics).toMatch(new RegExp(`switchboard_attestation_verifications_total\\{[^}]*outcome="${outcome}"[^}]*\\} [1-9]`));
  });

  it.concurrent('a killed gateway leaves the server list after the TTL; a drained one at once; admins list and remove servers', async () => {
    const killedUrl = `ws://${uid('killed')}.example.test/ws`;
    const doomed = await stack.process('gateway', testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, PUBLIC_URL: killedUrl, SERVER_HEARTBEAT_MS: '300' }));
    const endpoints = async () => ((await admin('GET', '/servers')).body.servers as { endpoint: string; nodeId: string }[]).map((s) => s.endpoint);
    await until(async () => (await endpoints()).includes(killedUrl), 'the process gateway to register');
    await doomed.kill('SIGKILL');
    await until(async () => !(await endpoints()).includes(killedUrl), 'the killed gateway to expire', SERVER_TTL_MS + 10_000, 200);

    const drainedUrl = `ws://${uid('drained')}.example.test/ws`;
    const drained = await startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, PUBLIC_URL: drainedUrl, SERVER_HEARTBEAT_MS: '60000' }));
    await until(async () => (await endpoints()).includes(drainedUrl), 'the drained gateway to register');
    await drained.stop();
    expect(await endpoints()).not.toContain(drainedUrl);

    const removedUrl = `ws://${uid('removed')}.example.test/ws`;
    const removable = await stack.add(startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, PUBLIC_URL: removedUrl, SERVER_HEARTBEAT_MS: '60000' })));
    await until(async () => (await endpoints()).includes(removedUrl), 'the gateway to register');
    expect((await admin('DELETE', `/servers/${encodeURIComponent(removable.platform.config.NODE_ID)}`)).body).toEqual({ removed: true });
    expect(await endpoints()).not.toContain(removedUrl);
    expect((await admin('DELETE', `/servers/${encodeURIComponent(removable.platform.config.NODE_ID)}`)).status).toBe(404);
  });

  it('a gateway that starts before the attestation service registers as soon as it is up, not a heartbeat later', async () => {
    const grpcPort = await freePort();
    const earlyUrl = `ws://${uid('early')}.example.test/ws`;
    await stack.add(startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${grpcPort}`, PUBLIC_URL: earlyUrl, SERVER_HEARTBEAT_MS: '3600000' })));
    const late = await stack.add(startAttestation(attestationTestEnv({ GRPC_PORT: String(grpcPort), SERVER_TTL_MS: String(SERVER_TTL_MS) })));
    const get = async () => ((await (await fetch(`http://127.0.0.1:${gw.httpPort}/admin/v1/servers`, { headers: { 'x-api-key': ADMIN_KEY } })).json()) as { servers: { endpoint: string }[] }).servers;
    await until(async () => (await get()).some((s) => s.endpoint === earlyUrl), 'the early gateway to register', 15_000, 200);
    expect(late.grpcPort).toBe(grpcPort);
  });

  it('limits: public routes per address and minute, challenges per device, oversized attestation tokens', async () => {
    // Counters live in Redis per route, address and minute, shared by the gateways; this one allows 3.
    const strict = await stack.add(startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, ATTEST_RATE_PER_MIN: '3' })));
    const statuses: number[] = [];
    let limited: LooseJson;
    for (let i = 0; i < 8 && !limited; i++) {
      const res = await http(strict.httpPort, 'GET', '/v1/attest/versions');
      statuses.push(res.status);
      if (res.status === 429) limited = res.body;
    }
    expect(limited?.error.code).toBe('rate_limited');
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect((await pub('GET', '/v1/attest/versions')).status).toBe(200); // the main gateway allows 1000
    // X-Forwarded-For is ignored unless TRUST_PROXY_HOPS says a proxy sets it: no dodging the limit by inventing addresses.
    const spoofed = await http(strict.httpPort, 'GET', '/v1/attest/versions', undefined, { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250)}` });
    expect(spoofed.status).toBe(429);
    // Behind one trusted proxy each client address has its own budget.
    const proxied = await stack.add(startGateway(testEnv({ ATTESTATION_GRPC_URL: `127.0.0.1:${att.grpcPort}`, ATTEST_RATE_PER_MIN: '3', TRUST_PROXY_HOPS: '1' })));
    const client = `203.0.113.${Math.floor(Math.random() * 250)}`;
    const viaProxy = async (xff: string) => (await http(proxied.httpPort, 'GET', '/v1/attest/versions', undefined, { 'x-forwarded-for': xff })).status;
    const fromClient: number[] = [];
    // The proxy appends the client's address; what the client wrote before it is not trusted.
    for (let i = 0; i < 8 && !fromClient.includes(429); i++) fromClient.push(await viaProxy(`192.0.2.${i}, ${client}`));
    expect(fromClient).toContain(429);
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await viaProxy(`10.${Math.floor(Math.random() * 250)}.${i}.1`));
    expect(others).toEqual([200, 200, 200, 200, 200]);

    const build = await newBuild('5.0.0');
    const { device } = await register(build.buildToken, '5.0.0');
    let refused: { status: number; body: LooseJson } | undefined;
    for (let i = 0; i < 30 && !refused; i++) {
      const res = await pub('POST', '/v1/attest/challenge', { deviceId: device!.id });
      if (res.status !== 200) refused = res;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.body.error.code).toBe('rate_limited');

    expect((await upgrade(gw.httpPort, { token: 'a'.repeat(5000), via: 'header' })).code).toBe(4010);
  });

  it('an upload over REFERENCE_MAX_BYTES (default 100 MiB) is refused with 413 and leaves nothing stored', async () => {
    expect(attestationService({}).configSchema.shape.REFERENCE_MAX_BYTES.parse(undefined)).toBe(100 * 1024 * 1024);
    const objects = async () => Number((await db.query('SELECT count(*) AS n FROM pg_largeobject_metadata')).rows[0].n);
    const before = await objects();
    const version = '9.9.9';
    const mib = Buffer.alloc(1024 * 1024, 7);
    let sent = 0;
    // Chunked (no Content-Length): only streaming past the cap can tell.
    const body = new Readable({
      read() {
        if (sent >= REFERENCE_MAX_MIB + 1) return this.push(null);
        sent++;
        this.push(mib);
      },
    });
    const res = await new Promise<{ status: number; body: LooseJson }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: gw.httpPort, method: 'POST', path: `/admin/v1/attestation/references/${platform}/${version}`, headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/octet-stream' } },
        (r) => {
          let text = '';
          r.on('data', (d) => (text += d));
          r.on('end', () => resolve({ status: r.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
      body.pipe(req);
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
    expect(await objects()).toBe(before);
    expect((await db.query('SELECT count(*) AS n FROM reference_binaries WHERE platform = $1 AND version = $2', [platform, version])).rows[0].n).toBe('0');
    expect((await admin('GET', `/attestation/references?platform=${platform}`)).body.references.map((r: LooseJson) => r.version)).not.toContain(version);
  });

  it('restore (ADR 0014): a pg_dump of the attestation database restored elsewhere holds the reference bytes with the recorded SHA-256', async () => {
    const file = randomBytes(777_777);
    const version = '4.0.0';
    const uploaded = await upload(platform, version, file);
    expect(uploaded.status).toBe(201);
    const dir = mkdtempSync(join(tmpdir(), 'sb-att-restore-'));
    const source = slot().attestationDatabaseUrl;
    const target = `${source.slice(0, source.lastIndexOf('/'))}/switchboard_test_attrestore_${process.pid}_${Date.now().toString(36)}`;
    const run = promisify(execFile);
    try {
      await run('pg_dump', ['--format=custom', `--file=${join(dir, 'attestation.dump')}`, `--dbname=${source}`]);
      await createDatabase(target);
      await run('pg_restore', ['--no-owner', `--dbname=${target}`, join(dir, 'attestation.dump')]);
      const restored = new pg.Client({ connectionString: target });
      await restored.connect();
      try {
        const row = (await restored.query('SELECT sha256, size, lo_get(lo_oid::oid) AS bytes FROM reference_binaries WHERE platform = $1 AND version = $2', [platform, version])).rows[0];
        expect(Number(row.size)).toBe(file.length);
        expect(createHash('sha256').update(row.bytes).digest('hex')).toBe(row.sha256);
        expect(row.sha256).toBe(uploaded.body.reference.sha256);
        expect(Buffer.compare(row.bytes, file)).toBe(0);
      } finally {
        await restored.end();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await removeDatabase(target);
    }
  });

  it('writes every attestation and server mutation to the audit log, with its outcome and never a token secret', async () => {
    const created = await admin('POST', '/attestation/build-tokens', { platform, version: '3.0.0' });
    await admin('DELETE', `/attestation/build-tokens/${created.body.buildToken.id}`);
    await upload(platform, '3.0.0', randomBytes(5000));
    await admin('DELETE', `/attestation/references/${platform}/3.0.0`);
    await admin('POST', `/attestation/policies/${platform}`, { minimum: '1.0.0' });
    await admin('DELETE', `/attestation/policies/${platform}`);
    const entries = (await admin('GET', '/audit?limit=500')).body.entries as { action: string; target: string; outcome: string; details: Record<string, unknown> }[];
    const seen = (action: string, outcome = 'ok') => entries.some((e) => e.action === action && e.outcome === outcome && (action === 'server.remove' || e.target.includes(platform) || e.target === created.body.buildToken.id));
    for (const action of ['attestation.build_token.create', 'attestation.build_token.revoke', 'attestation.reference.upload', 'attestation.reference.delete', 'attestation.policy.set', 'attestation.policy.delete', 'server.remove']) {
      expect(seen(action), action).toBe(true);
    }
    expect(seen('attestation.reference.upload', 'too_large')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain(created.body.token);
    expect(entries.find((e) => e.action === 'attestation.reference.upload' && e.outcome === 'ok' && e.target === `${platform}/3.0.0`)?.details).toMatchObject({ size: 5000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
