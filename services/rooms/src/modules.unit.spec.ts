import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const DOMAINS = ['approvals', 'attachments', 'channels', 'chat', 'emoji', 'floor', 'lobby', 'moderation', 'rooms', 'sessions', 'voice'];
/** Shared infra modules: at the root (platform.module.ts) and in db/. */
const INFRA = ['db'];

const shipped = (folder: string) => readdirSync(join(SRC, folder)).filter((f) => f.endsWith('.ts') && !f.includes('.spec.') && !f.endsWith('.test.ts'));
const read = (folder: string, file: string) => readFileSync(join(SRC, folder, file), 'utf8');

interface Import {
  at: string;
  from: string;
  names: string[];
  /** Only types: nothing of the other file exists at run time (no instance, no injection). */
  typeOnly: boolean;
}

/** Relative imports of one folder's shipped files. */
function importsOf(folder: string): Import[] {
  const out: Import[] = [];
  for (const file of shipped(folder)) {
    for (const m of read(folder, file).matchAll(/import\s+(type\s+)?(?:\{([^}]*)\}|[\w*\s]+)\s+from\s+'(\.\.?\/[^']+)'/g)) {
      const specifiers = (m[2] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const typeOnly = !!m[1] || (specifiers.length > 0 && specifiers.every((s) => s.startsWith('type ')));
      out.push({ at: `${folder}/${file}`, from: m[3], names: specifiers.map((s) => s.replace(/^type\s+/, '')), typeOnly });
    }
  }
  return out;
}

/** The domain folder an import in `folder` reaches, or undefined for the same folder / the root. */
const otherFolder = (imp: Import) => /^\.\.\/([^/]+)\//.exec(imp.from)?.[1];

interface NestModule {
  name: string;
  folder: string;
  imports: string[];
  exports: string[];
}

/** Every `@Module({...}) export class X` of the service, with the names in its imports and exports lists. */
function modules(): NestModule[] {
  const out: NestModule[] = [];
  for (const folder of ['.', ...DOMAINS, ...INFRA]) {
    for (const file of shipped(folder).filter((f) => f.endsWith('.module.ts'))) {
      const text = read(folder, file);
      for (const m of text.matchAll(/@Module\(\{([\s\S]*?)\}\)\s*export class (\w+)/g)) {
        const list = (key: string) => (new RegExp(`${key}:\\s*\\[([^\\]]*)\\]`).exec(m[1])?.[1] ?? '').match(/\b[A-Z]\w*/g) ?? [];
        out.push({ name: m[2], folder, imports: list('imports'), exports: list('exports') });
      }
    }
  }
  return out;
}

describe('rooms: one Nest module per domain (issue 12 §2, ADR 0074)', () => {
  it('every domain folder has its module, and db its infra module', () => {
    for (const domain of DOMAINS) expect(shipped(domain), domain).toContain(`${domain}.module.ts`);
    expect(shipped('db')).toContain('db.module.ts');
  });

  it("no domain imports another domain's store (only its services; row types may be shared)", () => {
    const crossStores = DOMAINS.flatMap(importsOf)
      .filter((imp) => otherFolder(imp) && !INFRA.includes(otherFolder(imp)!) && /\.store\.js$/.test(imp.from) && !imp.typeOnly)
      .map((imp) => `${imp.at}: ${imp.from}`);
    expect(crossStores).toEqual([]);
  });

  it("no module exports one of the service's stores (Nest then refuses a cross-domain store at boot)", () => {
    const leaks: string[] = [];
    for (const folder of ['.', ...DOMAINS, ...INFRA]) {
      const stores = new Set(
        importsOf(folder)
          .filter((imp) => imp.at.endsWith('.module.ts') && /\.store\.js$/.test(imp.from))
          .flatMap((imp) => imp.names),
      );
      for (const mod of modules().filter((m) => m.folder === folder)) leaks.push(...mod.exports.filter((e) => stores.has(e)).map((e) => `${folder}/${mod.name} exports ${e}`));
    }
    expect(leaks).toEqual([]);
  });

  it('the module graph has no cycle (so no forwardRef)', () => {
    const byName = new Map(modules().map((m) => [m.name, m]));
    const cycles = new Set<string>();
    const visit = (name: string, path: string[]) => {
      if (path.includes(name)) return void cycles.add([...path.slice(path.indexOf(name)), name].join(' → '));
      for (const next of byName.get(name)?.imports ?? []) if (byName.has(next)) visit(next, [...path, name]);
    };
    for (const name of byName.keys()) visit(name, []);
    expect([...cycles]).toEqual([]);
    for (const folder of ['.', ...DOMAINS, ...INFRA]) for (const file of shipped(folder)) expect(read(folder, file), `${folder}/${file}`).not.toMatch(/\bforwardRef\b/);
  });

  it('the root module imports domain modules, not their providers; only the root entries span domains', () => {
    const rootImports = importsOf('.').filter((imp) => imp.at === './app.module.ts' && !imp.typeOnly);
    expect(rootImports.map((imp) => imp.from).filter((f) => !f.endsWith('.module.js') && !['./commands.handler.js', './grpc.handler.js'].includes(f))).toEqual([]);
    // The NATS verb router finds every domain's @Command methods at boot (ADR 0040): it imports no domain.
    expect(importsOf('.').filter((imp) => imp.at === './commands.handler.ts' && imp.from.includes('/'))).toEqual([]);
    // No domain reaches another's entry (handler) or module other than through Nest imports in its own module file.
    const crossEntries = DOMAINS.flatMap(importsOf).filter((imp) => otherFolder(imp) && /\.handler\.js$/.test(imp.from));
    expect(crossEntries.map((imp) => `${imp.at}: ${imp.from}`)).toEqual([]);
  });
});
