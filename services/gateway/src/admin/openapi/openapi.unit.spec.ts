import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adminRoutes } from '../routes.js';
import { buildOpenApi } from './openapi.js';
import type { LooseJson } from '@switchboard/testing/json';

describe('admin OpenAPI document', () => {
  const doc = buildOpenApi(Object.values(adminRoutes), '1.2.3') as LooseJson;

  it('has one operation per route table entry, with unique operation ids', () => {
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) => Object.values(p));
    expect(ops).toHaveLength(Object.keys(adminRoutes).length);
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { version: '1.2.3' } });
  });

  it('describes every path parameter, query, body, response and error reference', () => {
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, LooseJson>>)) {
      for (const op of Object.values(methods)) {
        const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(op.parameters.filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name)).toEqual(templated);
        for (const [status, res] of Object.entries(op.responses as Record<string, LooseJson>)) {
          if (res.$ref) expect(doc.components.responses[res.$ref.split('/').pop()], `${path} ${status}`).toBeDefined();
          else expect(res.content['application/json'].schema).toBeTypeOf('object');
        }
      }
    }
    const mint = doc.paths['/admin/v1/tokens'].post;
    expect(mint.requestBody.content['application/json'].schema.required).toEqual(['userId']);
    expect(mint.responses['201'].content['application/json'].schema.required).toEqual(['token', 'expiresAt']);
    expect(doc.paths['/admin/v1/audit'].get.parameters.find((p: { name: string }) => p.name === 'action').schema.enum).toContain('room.ban');
  });

  it('marks mutations with their audit action and only the document itself as public', () => {
    const audited = Object.values(adminRoutes).filter((r) => r.audit).map((r) => r.operationId).sort();
    expect(audited).toEqual([
      'banUser',
      'closeRoom',
      'createBuildToken',
      'deleteAttachment',
      'deleteEmoji',
      'deletePolicy',
      'deleteReference',
      'disconnectUser',
      'kickUser',
      'mintAdminToken',
      'mintToken',
      'muteSfuParticipant',
      'removeServer',
      'removeSfuParticipant',
      'revokeAdminToken',
      'revokeBuildToken',
      'setPolicy',
      'uploadReference',
    ]);
    // A streamed upload is described as a binary body, with its 413.
    const upload = doc.paths['/admin/v1/attestation/references/{platform}/{version}'].post;
    expect(upload.requestBody.content['application/octet-stream'].schema).toEqual({ type: 'string', format: 'binary' });
    expect(upload.responses['413']).toBeDefined();
    expect(doc.paths['/admin/v1/openapi.json'].get.security).toEqual([]);
    expect(doc.paths['/admin/v1/rooms'].get.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
  });

  it('passes `redocly lint` with the recommended rules (redocly.yaml), no errors and no warnings', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
    // Fixed path under the ignored .run/: .redocly.lint-ignore.yaml names it.
    const file = path.join(root, '.run/openapi/admin.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const r = spawnSync(path.join(root, 'node_modules/.bin/redocly'), ['lint', '--config', 'redocly.yaml', '--format=json', '.run/openapi/admin.json'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
    const report = JSON.parse(r.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(r.status).toBe(0);
  }, 60_000);
});
