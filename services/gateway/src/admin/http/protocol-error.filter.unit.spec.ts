import { Writable } from 'node:stream';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@switchboard/platform';
import { ProtocolError } from '@switchboard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedMethods, ProtocolErrorFilter } from './protocol-error.filter.js';
import type { LooseJson } from '@switchboard/testing/json';

@Controller('admin/v1/test')
class FailingController {
  @Get('boom')
  boom(): never {
    throw new Error('db password=hunter2 exploded');
  }

  @Get('typed')
  typed(): never {
    throw new ProtocolError('unavailable', 'rooms service is unavailable');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

/** The global filter on a real Nest/Express app: an unexpected failure is logged and answered 500 in the envelope. */
describe('ProtocolErrorFilter', () => {
  let app: INestApplication;
  let base: string;
  const lines: Record<string, LooseJson>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()));
        cb();
      },
    });
    const logger = createLogger({ service: 'test', level: 'info', nodeId: 'n', production: true }, sink);
    app = await NestFactory.create(FailingModule, { logger: false });
    app.useGlobalFilters(new ProtocolErrorFilter(logger));
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  it('logs an unexpected error with its stack and answers 500 internal without details', async () => {
    const res = await fetch(`${base}/admin/v1/test/boom`);
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    const logged = lines.find((l) => l.msg === 'http request failed');
    expect(logged).toMatchObject({ level: 'error', method: 'GET', path: '/admin/v1/test/boom', err: { message: expect.stringContaining('exploded'), stack: expect.any(String) } });
  });

  it('answers typed errors with their status and does not log them as failures', async () => {
    const before = lines.length;
    const res = await fetch(`${base}/admin/v1/test/typed`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'unavailable', message: 'rooms service is unavailable' } });
    expect(lines.slice(before).filter((l) => l.level === 'error')).toEqual([]);
  });

  it('knows which methods each admin path allows', () => {
    expect(allowedMethods('/admin/v1/rooms')).toEqual(['GET']);
    expect(allowedMethods('/admin/v1/rooms/r1').sort()).toEqual(['DELETE', 'GET']);
    expect(allowedMethods('/admin/v1/nope')).toEqual([]);
  });
});
