import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(production: boolean) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  const logger = createLogger({ service: 'test', level: 'info', nodeId: 'n1', production }, sink);
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes structured JSON with service, node and level', () => {
    const { logger, lines } = capture(false);
    logger.info({ requestId: 'q_1' }, 'hello');
    expect(lines[0]).toMatchObject({ service: 'test', node: 'n1', level: 'info', requestId: 'q_1', msg: 'hello' });
  });

  it('always redacts secrets', () => {
    const { logger, lines } = capture(false);
    logger.info({ token: 'jwt', req: { headers: { authorization: 'Bearer x' } }, user: { password: 'p' } }, 'x');
    expect(lines[0]).toMatchObject({ token: '[redacted]', req: { headers: { authorization: '[redacted]' } }, user: { password: '[redacted]' } });
  });

  it('redacts credential headers and secret-bearing keys at any depth, in every environment', () => {
    for (const production of [false, true]) {
      const { logger, lines } = capture(production);
      logger.info(
        {
          req: { headers: { 'x-api-key': 'k-123', cookie: 'sid=abc', 'set-cookie': ['sid=abc'], 'sec-websocket-protocol': 'jwt.eyJ', host: 'h' } },
          deep: { a: { b: { c: { d: { refresh_token: 'rt', jwtSecret: 'js', NATS_PASSWORD: 'np', apiKey: 'ak', keep: 'visible' } } } } },
          list: [{ accessToken: 'at' }, { idToken: 'it' }],
          config: { GRPC_AUTH_SECRET: 'gs', ADMIN_JWT_SECRET: 'as', Authorization: 'Bearer x' },
        },
        'x',
      );
      const line = JSON.stringify(lines[0]);
      for (const secret of ['k-123', 'sid=abc', 'jwt.eyJ', '"rt"', '"js"', '"np"', '"ak"', '"at"', '"it"', '"gs"', '"as"', 'Bearer x']) expect(line).not.toContain(secret);
      expect(lines[0]).toMatchObject({ req: { headers: { 'x-api-key': '[redacted]', cookie: '[redacted]', host: 'h' } }, deep: { a: { b: { c: { d: { keep: 'visible' } } } } } });
    }
  });

  it('redacts passwords inside URLs in fields, messages and errors, keeping the rest of the URL', () => {
    const { logger, lines } = capture(true);
    logger.info({ databaseUrl: 'postgres://app:s3cr3t@db:5432/rooms', nested: { urls: ['redis://:r3d1s@cache:6379', 'nats://n:natspw@nats:4222'] } }, 'connecting to postgresql://u:pw-in-msg@h/db');
    logger.error({ err: new Error("Can't reach database server at postgres://app:errpw@db:5432") }, 'failed');
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    for (const secret of ['s3cr3t', 'r3d1s', 'natspw', 'pw-in-msg', 'errpw']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ databaseUrl: 'postgres://app:[redacted]@db:5432/rooms', msg: 'connecting to postgresql://u:[redacted]@h/db' });
    expect((lines[1].err as { message: string; type: string }).message).toBe("Can't reach database server at postgres://app:[redacted]@db:5432");
    expect((lines[1].err as { stack: string }).stack).toContain('[redacted]');
  });

  it('does not modify the logged object and survives cycles', () => {
    const { logger, lines } = capture(false);
    const obj: Record<string, unknown> = { password: 'p', inner: { token: 't' } };
    obj.self = obj;
    logger.info(obj, 'x');
    expect(obj.password).toBe('p');
    expect((obj.inner as { token: string }).token).toBe('t');
    expect(lines[0]).toMatchObject({ password: '[redacted]', inner: { token: '[redacted]' } });
  });

  it('redacts pairing codes in production only', () => {
    const dev = capture(false);
    dev.logger.info({ pair: { code: 'ABC234' } }, 'x');
    expect(dev.lines[0]).toMatchObject({ pair: { code: 'ABC234' } });
    const prod = capture(true);
    prod.logger.info({ pair: { code: 'ABC234' }, code: 'XYZ789', deep: { a: { pairCode: 'QWE567', deadDrop: 'dd' } } }, 'x');
    expect(prod.lines[0]).toMatchObject({ pair: { code: '[redacted]' }, code: '[redacted]', deep: { a: { pairCode: '[redacted]', deadDrop: '[redacted]' } } });
  });
});
