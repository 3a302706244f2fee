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

/** The cache file of a bundle built with this hash (bundle.mjs writes the hash into the entries). */
export const cacheFile = (/** @type {string} */ bundle, /** @type {string} */ hash) => `${bundle}.${hash}.v8cache`;

/**
 * Runs the CommonJS bundle at `bundle` and returns its exports, compiled from the code cache
 * when there is a valid one. `saveCache()` writes the cache (atomically) when there was none or
 * V8 rejected it: call it once the process has started, so that the functions its start compiled
 * are in it. With source maps on (`--enable-source-maps`), the bundle is `require`d instead:
 * Node maps stack traces only for files its own loaders compiled.
 * @param {string} bundle absolute path of services.cjs
 * @param {string} hash the build's hash of it
 * @returns {{ exports: any, saveCache: () => boolean }}
 */
export function loadBundle(bundle, hash) {
  const require = createRequire(bundle);
  if (process.sourceMapsEnabled) return { exports: require(bundle), saveCache: () => false };
  const file = cacheFile(bundle, hash);
  /** @type {Buffer | undefined} */
  let cachedData;
  try {
    cachedData = readFileSync(file);
  } catch {
    cachedData = undefined; // none yet: compiled as usual, saved after the start
  }
  // Node's own CommonJS wrapper, on the bundle's first line so its line numbers stay the map's.
  // latin1: the bundle is ASCII (bundle.mjs makes it so), and a one-byte read skips UTF-8 decoding.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(bundle, 'latin1')}\n})`;
  const script = new vm.Script(source, { filename: bundle, cachedData, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));
  return {
    exports: module.exports,
    saveCache() {
      if (cachedData && !script.cachedDataRejected) return false;
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
