import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, csv, loadConfig } from './config.js';

const SECRET = 'grpc-secret-grpc-secret';

describe('loadConfig', () => {
  const schema = baseConfigSchema.extend({ HTTP_PORT: z.coerce.number().int().default(8080), KEYS: csv });

  it('applies defaults and coerces numbers', () => {
    const c = loadConfig(schema, { HTTP_PORT: '9000', KEYS: 'a, b,,c', GRPC_AUTH_SECRET: SECRET });
    expect(c.HTTP_PORT).toBe(9000);
    expect(c.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(c.KEYS).toEqual(['a', 'b', 'c']);
    expect(c.NODE_ID).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(schema, { HTTP_PORT: '', GRPC_AUTH_SECRET: SECRET }).HTTP_PORT).toBe(8080);
  });

  it('fails fast listing every invalid key', () => {
    let err: unknown;
    try {
      loadConfig(schema, { HTTP_PORT: 'abc', LOG_LEVEL: 'loud', REQUEST_TIMEOUT_MS: '5' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('HTTP_PORT');
    expect(msg).toContain('LOG_LEVEL');
    expect(msg).toContain('REQUEST_TIMEOUT_MS');
  });

  it('requires a gRPC auth secret of at least 16 characters (there is no default)', () => {
    expect(() => loadConfig(schema, {})).toThrow(/GRPC_AUTH_SECRET/);
    expect(() => loadConfig(schema, { GRPC_AUTH_SECRET: 'short' })).toThrow(/GRPC_AUTH_SECRET/);
  });
});
