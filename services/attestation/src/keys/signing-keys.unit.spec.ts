import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@switchboard/platform';
import { describe, expect, it } from 'vitest';
import { attestationConfigSchema } from '../config.js';
import { pickRanges } from '../challenges/challenges.service.js';
import { KeyConfigError, loadEd25519, SigningKeys } from './signing-keys.js';

const logger = createLogger({ service: 'attestation', level: 'silent', nodeId: 'spec', production: false });
const config = (env: Record<string, string>) => attestationConfigSchema.parse({ GRPC_AUTH_SECRET: 'spec-grpc-secret-0123456789abcdef', ...env });
const pem = (type: 'ed25519' | 'x25519') => generateKeyPairSync(type as 'ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('signing keys', () => {
  it('reads a PEM value or a mounted file, and refuses both at once, garbage and non-Ed25519 keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
    try {
      const file = join(dir, 'key.pem');
      writeFileSync(file, pem('ed25519'));
      expect(loadEd25519('K', undefined, file)?.asymmetricKeyType).toBe('ed25519');
      expect(() => loadEd25519('K', pem('ed25519'), file)).toThrow(KeyConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(loadEd25519('K', pem('ed25519'), undefined)?.asymmetricKeyType).toBe('ed25519');
    expect(loadEd25519('K', undefined, undefined)).toBeUndefined();
    expect(() => loadEd25519('K', 'not a key', undefined)).toThrow(/PKCS#8/);
    expect(() => loadEd25519('K', pem('x25519'), undefined)).toThrow(/Ed25519/);
  });

  it('without keys: generated per process in development, off (undefined) in production', () => {
    const dev = new SigningKeys(config({ NODE_ENV: 'development' }), logger);
    expect(dev.token?.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(dev.serverList?.id).toBe('servers-1');
    const prod = new SigningKeys(config({ NODE_ENV: 'production' }), logger);
    expect(prod.token).toBeUndefined();
    expect(prod.serverList).toBeUndefined();
    const set = new SigningKeys(config({ NODE_ENV: 'production', SERVER_LIST_SIGNING_KEY: pem('ed25519'), SERVER_LIST_KEY_ID: 'k2' }), logger);
    expect(set.serverList?.id).toBe('k2');
  });
});

describe('challenge ranges', () => {
  it('always lie inside the file and respect the length cap, also for tiny files', () => {
    for (const size of [1, 2, 17, 5000, 10_000_000]) {
      for (const r of pickRanges(size, 8, 4096)) {
        expect(r.length).toBeGreaterThanOrEqual(1);
        expect(r.length).toBeLessThanOrEqual(Math.min(4096, size));
        expect(r.offset).toBeGreaterThanOrEqual(0);
        expect(r.offset + r.length).toBeLessThanOrEqual(size);
      }
    }
  });
});
