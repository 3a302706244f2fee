import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, ERROR_CODES } from '@switchboard/protocol';
import { describe, expect, it } from 'vitest';
import { ROOT } from '@switchboard/testing/infra';

/** Issue 3: docs/protocol.md is the complete protocol, generated from the schemas and kept in sync. */
describe('docs/protocol.md', () => {
  it('is current with the schemas (node scripts/protocol-docs.mjs --check)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/protocol-docs.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}\nrun: npm run docs`).toBe(0);
  });

  it('documents every verb of COMMANDS and every error code', () => {
    const doc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');
    const start = doc.indexOf('<!-- generated:start -->');
    const end = doc.indexOf('<!-- generated:end -->');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const generated = doc.slice(start, end);
    const missing = Object.keys(COMMANDS).filter((verb) => !generated.includes(`#### \`${verb}\``) || !generated.includes(`\`${verb}.ok\``));
    expect(missing).toEqual([]);
    const intro = doc.slice(0, start);
    expect(ERROR_CODES.filter((code) => !intro.includes(`| \`${code}\` |`))).toEqual([]);
  });
});
