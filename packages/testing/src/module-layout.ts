import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { expect, it } from 'vitest';

/**
 * A service's per-domain Nest module layout, read from its sources (issue 12 §2; ADRs 0065,
 * 0074, 0075): which folder imports what, and which `@Module` imports and exports what. Each
 * service's `modules.unit.spec.ts` states its rules with these.
 */
export interface Import {
  /** The importing file, relative to the service's src (`chat/chat.service.ts`). */
  at: string;
  /** The imported file, relative to src (`rooms/rooms.store.js`), or the package name. */
  target: string;
  names: string[];
  /** Only types: nothing of the other file exists at run time (no instance, no injection). */
  typeOnly: boolean;
}

export interface NestModule {
  name: string;
  /** Top-level folder of its file (`.` for src itself). */
  folder: string;
  imports: string[];
  exports: string[];
  /** Names this module's file imports from a `*.store.js` file. */
  storesInScope: string[];
}

const isShipped = (f: string) => f.endsWith('.ts') && !f.includes('.spec.') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts');

/** Top-level folder of a src-relative path (`.` for files directly in src). */
export const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '.');

export function moduleLayout(src: string) {
  const files = (dir: string): string[] =>
    readdirSync(join(src, dir)).flatMap((f) => {
      const rel = dir === '.' ? f : `${dir}/${f}`;
      if (statSync(join(src, rel)).isDirectory()) return f === 'generated' || f === 'testing' ? [] : files(rel);
      return isShipped(f) ? [rel] : [];
    });
  const read = (rel: string) => readFileSync(join(src, rel), 'utf8');

  /** The imports of one file; relative ones resolved against src. */
  function importsIn(at: string): Import[] {
    return [...read(at).matchAll(/import\s+(type\s+)?(?:\{([^}]*)\}|[\w*\s]+)\s+from\s+'([^']+)'/g)].map((m) => {
      const specifiers = (m[2] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const target = m[3].startsWith('.') ? normalize(relative(src, join(src, dirname(at), m[3]))) : m[3];
      return {
        at,
        target,
        names: specifiers.map((s) => s.replace(/^type\s+/, '').split(/\s+as\s+/)[0]),
        typeOnly: !!m[1] || (specifiers.length > 0 && specifiers.every((s) => s.startsWith('type '))),
      };
    });
  }

  /** Imports of the shipped files under `folder` (recursively). */
  const importsOf = (folder: string): Import[] => files(folder).flatMap(importsIn);

  /** Every `@Module({...}) export class X`, with the class names in its imports and exports lists. */
  function modules(): NestModule[] {
    return files('.')
      .filter((f) => f.endsWith('.module.ts'))
      .flatMap((file) => {
        const storesInScope = importsIn(file)
          .filter((imp) => /\.store\.js$/.test(imp.target))
          .flatMap((imp) => imp.names);
        return [...read(file).matchAll(/@Module\(\{([\s\S]*?)\}\)\s*export class (\w+)/g)].map((m) => {
          const list = (key: string) => (new RegExp(`${key}:\\s*\\[([^\\]]*)\\]`).exec(m[1])?.[1] ?? '').match(/\b[A-Z]\w*/g) ?? [];
          return { name: m[2], folder: folderOf(file), imports: list('imports'), exports: list('exports'), storesInScope };
        });
      });
  }

  return {
    importsOf,
    modules,
    /** Folders (of those given) without their `<folder>.module.ts`. */
    missingModules: (folders: string[]) => folders.filter((d) => !files(d).includes(`${d}/${d}.module.ts`)),
    /** Value imports of another top-level folder's `*.store.js` from `folders` (type imports are allowed: row types may be shared). */
    crossDomainStores: (folders: string[]) =>
      folders
        .flatMap(importsOf)
        .filter((imp) => /\.store\.js$/.test(imp.target) && folderOf(imp.target) !== folderOf(imp.at) && !imp.typeOnly)
        .map((imp) => `${imp.at}: ${imp.target}`),
    /** Modules exporting one of the service's stores (then another domain could inject it). */
    exportedStores: () => modules().flatMap((m) => m.exports.filter((e) => m.storesInScope.includes(e)).map((e) => `${m.folder}/${m.name} exports ${e}`)),
    /** Cycles in the module graph (each once, from the module where it closes). */
    moduleCycles: () => {
      const byName = new Map(modules().map((m) => [m.name, m]));
      const cycles = new Set<string>();
      const visit = (name: string, path: string[]) => {
        if (path.includes(name)) return void cycles.add([...path.slice(path.indexOf(name)), name].join(' → '));
        for (const next of byName.get(name)?.imports ?? []) if (byName.has(next)) visit(next, [...path, name]);
      };
      for (const name of byName.keys()) visit(name, []);
      return [...cycles];
    },
    /** Shipped files that use `forwardRef`. */
    forwardRefs: () => files('.').filter((f) => /\bforwardRef\b/.test(read(f))),
    /** What `app.module.ts` value-imports from src other than modules and the `allowed` files. */
    rootNonModules: (allowed: string[]) =>
      importsOf('.')
        .filter((imp) => imp.at === 'app.module.ts' && !imp.typeOnly && !imp.target.startsWith('@') && !/\.module\.js$/.test(imp.target) && !allowed.includes(imp.target))
        .map((imp) => imp.target),
  };
}

/**
 * The rules every split service states (inside a vitest `describe`): a module per folder, no
 * cross-folder store import or export, an acyclic module graph without `forwardRef`, a root of
 * modules (plus `rootAllowed` entries).
 */
export function layoutRules(layout: ReturnType<typeof moduleLayout>, opts: { folders: string[]; infra?: string[]; rootAllowed?: string[] }): void {
  it('every folder has its module', () => {
    expect(layout.missingModules([...opts.folders, ...(opts.infra ?? [])])).toEqual([]);
  });

  it("no folder imports another's store (only its services; row types may be shared)", () => {
    expect(layout.crossDomainStores(opts.folders)).toEqual([]);
  });

  it('no module exports a store (Nest then refuses a cross-folder store at boot)', () => {
    expect(layout.exportedStores()).toEqual([]);
  });

  it('the module graph has no cycle, and nothing uses forwardRef', () => {
    expect(layout.moduleCycles()).toEqual([]);
    expect(layout.forwardRefs()).toEqual([]);
  });

  it('the root module imports modules, not their providers', () => {
    expect(layout.rootNonModules(opts.rootAllowed ?? [])).toEqual([]);
  });
}
