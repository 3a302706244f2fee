import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../config.js';
import { TokenVerifier } from './token.verifier.js';

const SECRET = 'unit-test-secret-unit-test-secret';
const sign = (claims: Record<string, unknown>, key: Parameters<SignJWT['sign']>[0] = new TextEncoder().encode(SECRET), alg = 'HS256', kid?: string) =>
  new SignJWT(claims).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).sign(key);
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('TokenVerifier', () => {
  let server: Server;
  let jwksUrl: string;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ed: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwksHits = 0;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ed.publicKey)), kid: 'ed1', alg: 'EdDSA', use: 'sig' },
    ];
    server = createServer((_req, res) => {
      jwksHits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const verifier = (extra: Partial<GatewayConfig> = {}) => new TokenVerifier({ JWT_SECRET: SECRET, JWT_JWKS_URL: jwksUrl, ...extra } as GatewayConfig);

  it('accepts HS256 with the shared secret and reads the claims', async () => {
    const id = await verifier().verify(await sign({ sub: 'alice', exp: inAnHour(), name: 'Alice', device: 'phone', roles: ['admin', 3] }));
    expect(id).toMatchObject({ userId: 'alice', name: 'Alice', device: 'phone', roles: ['admin'] });
  });

  it('accepts RS256 and EdDSA through the JWKS and caches the key set', async () => {
    const v = verifier();
    expect((await v.verify(await sign({ sub: 'r', exp: inAnHour() }, rsa.privateKey, 'RS256', 'rsa1'))).userId).toBe('r');
    expect((await v.verify(await sign({ sub: 'e', exp: inAnHour() }, ed.privateKey, 'EdDSA', 'ed1'))).userId).toBe('e');
    const hits = jwksHits;
    await v.verify(await sign({ sub: 'r2', exp: inAnHour() }, rsa.privateKey, 'RS256', 'rsa1'));
    expect(jwksHits).toBe(hits);
  });

  it.each([
    ['expired', () => sign({ sub: 'a', exp: Math.floor(Date.now() / 1000) - 10 })],
    ['without exp', () => sign({ sub: 'a' })],
    ['without sub', () => sign({ exp: inAnHour() })],
    ['with a sub that is not an id', () => sign({ sub: 'a.b', exp: inAnHour() })],
    ['signed with another secret', () => sign({ sub: 'a', exp: inAnHour() }, new TextEncoder().encode('another-secret-another-secret'))],
    ['alg none', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"a","exp":${inAnHour()}}`).toString('base64url')}.`],
    ['garbage', async () => 'not.a.jwt'],
    ['oversized', async () => 'x'.repeat(9000)],
  ])('rejects a token %s', async (_name, make) => {
    await expect(verifier().verify(await make())).rejects.toThrow();
  });

  it('checks issuer and audience when configured', async () => {
    const v = verifier({ JWT_ISSUER: 'https://app', JWT_AUDIENCE: 'switchboard' });
    await expect(v.verify(await sign({ sub: 'a', exp: inAnHour() }))).rejects.toThrow();
    const ok = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('a').setIssuer('https://app').setAudience('switchboard').setExpirationTime(inAnHour()).sign(new TextEncoder().encode(SECRET));
    expect((await v.verify(ok)).userId).toBe('a');
  });

  it('mints tokens it accepts', async () => {
    const v = verifier();
    const { token, expiresAt } = await v.mint({ userId: 'bob', roles: ['x'] }, 60);
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(await v.verify(token)).toMatchObject({ userId: 'bob', roles: ['x'] });
  });
});
