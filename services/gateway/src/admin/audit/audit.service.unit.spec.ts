import { ProtocolError } from '@switchboard/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@switchboard/platform';
import { adminRoutes } from '../routes.js';
import type { AuditEntry } from './audit.schemas.js';
import { AuditService } from './audit.service.js';
import type { AuditStore } from './audit.store.js';

function service(append: (e: AuditEntry) => Promise<void>) {
  const logger = { error: vi.fn() };
  return { svc: new AuditService({ append } as unknown as AuditStore, logger as unknown as Logger), logger };
}

/** A route's audit spec as recordCall takes it (its result type is the route's own). */
const spec = (audit: unknown) => audit as Parameters<AuditService['recordCall']>[0];

describe('AuditService', () => {
  it('records the outcome, target and safe details of a call', async () => {
    const written: AuditEntry[] = [];
    const { svc } = service(async (e) => void written.push(e));
    const input = { params: { roomId: 'r1' }, query: {}, body: { userId: 'u1', reason: 'spam' }, actor: 'user:a' };
    await svc.recordCall(spec(adminRoutes.kickUser.audit), { actor: 'user:a', raw: {}, input, result: {} });
    await svc.recordCall(spec(adminRoutes.kickUser.audit), { actor: 'user:a', raw: {}, input, error: new ProtocolError('not_found', 'room not found') });
    await svc.recordCall(spec(adminRoutes.mintToken.audit), { actor: 'key:abcd…', raw: { body: { userId: 'bad id', secret: 's' } }, error: new ProtocolError('bad_request', 'body.userId: bad') });
    await svc.recordCall(spec(adminRoutes.closeRoom.audit), { actor: 'key:abcd…', raw: { params: { roomId: 'r2' } }, error: new Error('boom') });
    expect(written.map(({ action, target, outcome, details, actor }) => ({ action, target, outcome, details, actor }))).toEqual([
      { action: 'room.kick', target: 'r1/u1', outcome: 'ok', details: { reason: 'spam' }, actor: 'user:a' },
      { action: 'room.kick', target: 'r1/u1', outcome: 'not_found', details: { reason: 'spam', error: 'room not found' }, actor: 'user:a' },
      { action: 'token.mint', target: 'bad id', outcome: 'bad_request', details: { error: 'body.userId: bad' }, actor: 'key:abcd…' },
      { action: 'room.close', target: 'r2', outcome: 'internal', details: { error: 'internal error' }, actor: 'key:abcd…' },
    ]);
    expect(new Set(written.map((e) => e.id)).size).toBe(4);
  });

  it('does not fail the call when the audit write fails, and logs the entry', async () => {
    const { svc, logger } = service(() => Promise.reject(new Error('no JetStream')));
    await expect(svc.record({ actor: 'key:abcd…', action: 'room.close', target: 'r1', details: {}, outcome: 'ok' })).resolves.toBeUndefined();
    expect(logger.error).toHaveBeenCalledWith(expect.objectContaining({ audit: expect.objectContaining({ action: 'room.close', target: 'r1' }) }), 'audit write failed');
  });
});
