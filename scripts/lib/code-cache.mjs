// Loads the services' CommonJS bundle (dist/bundle/services.cjs, scripts/bundle.mjs) through a V8
// code cache kept beside it (issue 12, ADR 0101). Compiling the ~17 MB bundle, and then each
// function the start-up calls, was ~0.4-0.5 CPU s of every service process: Node 20 has no
// compile cache of its own (Node 22's module.enableCompileCache) and caches nothing for ESM.
// V8 validates a cache (its version, flags, the source's length) and compiles as usual when it
// rejects one; since it checks only the source's length, the cache's name carries the build's
// hash of the bundle, and a rebuild (which empties dist/bundle/) never meets an older cache.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/**
 * The cache files of a bundle built with this hash: `start`, saved by a process once its service
 * has started (it holds the functions a start compiles: Nest, express, the clients), and `build`,
 * saved by the build after running every service's module code only (bundle.mjs; what a
 * read-only install such as the image's /app has). A process uses `start` when there is one.
 * @param {string} bundle
 * @param {string} hash
 * @param {'start' | 'build'} kind
 */
export const cacheFile = (bundle, hash, kind) => `${bundle}.${hash}.${kind}.v8cache`;

/**
 * Runs the CommonJS bundle at `bundle` and returns its exports, compiled from a code cache when
 * there is one V8 accepts (`cache` says which). `saveCache(kind)` writes one atomically: call it
 * with 'start' once the service has started, so the functions its start compiled are in it (it
 * writes nothing when the process already used a `start` cache), or with 'build'. Unwritable
 * (a read-only install) is not an error. With source maps on (`--enable-source-maps`), the
 * bundle is `require`d instead: Node maps stack traces only for files its own loaders compiled.
 * @param {string} bundle absolute path of services.cjs
 * @param {string} hash the build's hash of it
 * @returns {{ exports: any, cache: 'start' | 'build' | undefined, saveCache: (kind?: 'start' | 'build') => boolean }}
 *   `saveCache`: true when it wrote a cache
 */
export function loadBundle(bundle, hash) {
  const require = createRequire(bundle);
  if (process.sourceMapsEnabled) return { exports: require(bundle), cache: undefined, saveCache: () => false };
  /** @type {'start' | 'build' | undefined} */
  let kind;
  /** @type {Buffer | undefined} */
  let cachedData;
  for (const k of /** @type {const} */ (['start', 'build'])) {
    try {
      cachedData = readFileSync(cacheFile(bundle, hash, k));
      kind = k;
      break;
    } catch {
      // none of this kind: the next, or compiled as usual
    }
  }
  // Node's own CommonJS wrapper, on the bundle's first line so its line numbers stay the map's.
  // latin1: the bundle is ASCII (bundle.mjs makes it so), and a one-byte read skips UTF-8 decoding.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(bundle, 'latin1')}\n})`;
  const script = new vm.Script(source, { filename: bundle, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));
  // A rejected cache (another V8 version or flags, e.g. --max-old-space-size) counts as none.
  const cache = cachedData !== undefined && !script.cachedDataRejected ? kind : undefined;
  return {
    exports: module.exports,
    cache,
    saveCache(to = 'start') {
      if (to === 'start' && cache === 'start') return false;
      const file = cacheFile(bundle, hash, to);
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, file); // atomic: a process starting meanwhile reads the old file or the new, never half
        return true;
      } catch {
        rmSync(tmp, { force: true }); // a read-only install (the image's /app): it runs without
        return false;
      }
    },
  };
}
