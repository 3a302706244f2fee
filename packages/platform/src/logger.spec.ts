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

  it('redacts pairing codes in production only', () => {
    const dev = capture(false);
    dev.logger.info({ pair: { code: 'ABC234' } }, 'x');
    expect(dev.lines[0]).toMatchObject({ pair: { code: 'ABC234' } });
    const prod = capture(true);
    prod.logger.info({ pair: { code: 'ABC234' }, code: 'XYZ789' }, 'x');
    expect(prod.lines[0]).toMatchObject({ pair: { code: '[redacted]' }, code: '[redacted]' });
  });
});
