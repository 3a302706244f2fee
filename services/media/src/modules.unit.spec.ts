import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const DOMAINS = ['calls', 'chunks', 'ice', 'ptt', 'sessions', 'sfu'];

/** Relative imports of one domain's shipped files, as `<file>: <path>`. */
function importsOf(domain: string): string[] {
  const out: string[] = [];
  for (const file of readdirSync(join(SRC, domain)).filter((f) => f.endsWith('.ts') && !f.includes('.spec.') && !f.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(SRC, domain, file), 'utf8').matchAll(/from '(\.\.?\/[^']+)'/g)) out.push(`${domain}/${file}: ${m[1]}`);
  }
  return out;
}

describe('media: one Nest module per domain (issue 12 §2)', () => {
  it('every domain folder has its module', () => {
    for (const domain of DOMAINS) expect(readdirSync(join(SRC, domain)), domain).toContain(`${domain}.module.ts`);
  });

  it('no domain imports another domain\'s store (only its service, or the SfuAccess seam)', () => {
    const crossStores = DOMAINS.flatMap(importsOf).filter((line) => /: \.\.\/[^/]+\/[^/]+\.store\.js$/.test(line));
    expect(crossStores).toEqual([]);
  });

  it('the root module imports domain modules, not their providers', () => {
    const root = readFileSync(join(SRC, 'app.module.ts'), 'utf8');
    expect([...root.matchAll(/from '\.\/([^/']+)\/([^']+)'/g)].map((m) => m[2]).filter((f) => !f.endsWith('.module.js') && f !== 'sfu.access.js')).toEqual([]);
  });
});
