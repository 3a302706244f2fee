// scripts/lib/code-cache.mjs: a CommonJS bundle run through a V8 code cache, in real child
// processes (each compiles the bundle afresh, as a service process does).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheFile } from './code-cache.mjs';

const dir = mkdtempSync(join(tmpdir(), 'sb-code-cache-'));
const bundle = join(dir, 'bundle.cjs');
// Strict, uses require and __filename, and has functions that only run when called.
writeFileSync(bundle, '"use strict";\nconst { basename } = require("node:path");\nexports.run = (n) => `${basename(__filename)}:${Array.from({ length: n }, (_, i) => i * 2).join(",")}`;\n');
const loader = pathToFileURL(join(import.meta.dirname, 'code-cache.mjs')).href;

/** Loads the bundle in a fresh node process, runs it, saves a cache of `kind`: what it reports. */
function start(hash = 'h1', args = [], kind = 'start') {
  const code = `import { loadBundle } from ${JSON.stringify(loader)};
const b = loadBundle(${JSON.stringify(bundle)}, ${JSON.stringify(hash)});
const result = b.exports.run(3);
console.log(JSON.stringify({ result, cache: b.cache ?? null, saved: b.saveCache(${JSON.stringify(kind)}) }));`;
  return JSON.parse(execFileSync(process.execPath, [...args, '--input-type=module', '-e', code], { encoding: 'utf8' }));
}

describe('code cache', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles without a cache, then from the build's cache, then from the start cache a process saved", () => {
    expect(start('h1', [], 'build')).toEqual({ result: 'bundle.cjs:0,2,4', cache: null, saved: true });
    expect(start()).toEqual({ result: 'bundle.cjs:0,2,4', cache: 'build', saved: true });
    expect(start()).toEqual({ result: 'bundle.cjs:0,2,4', cache: 'start', saved: false });
    // Atomic writes: no temporary file is left; another hash (another build) has none.
    expect(readdirSync(dir).sort()).toEqual(['bundle.cjs', 'bundle.cjs.h1.build.v8cache', 'bundle.cjs.h1.start.v8cache']);
    expect(start('h9')).toMatchObject({ cache: null });
  });

  it('compiles as usual when V8 rejects the cache, and replaces it', () => {
    writeFileSync(cacheFile(bundle, 'h2', 'start'), 'not a code cache');
    expect(start('h2')).toEqual({ result: 'bundle.cjs:0,2,4', cache: null, saved: true });
    expect(start('h2')).toEqual({ result: 'bundle.cjs:0,2,4', cache: 'start', saved: false });
  });

  it('requires the bundle, with no cache, when source maps are on', () => {
    expect(start('h3', ['--enable-source-maps'])).toEqual({ result: 'bundle.cjs:0,2,4', cache: null, saved: false });
  });
});
