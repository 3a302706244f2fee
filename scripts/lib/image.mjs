// Static checks of the container image (no Docker engine needed): the Dockerfile pins its
// base by digest, carries the OCI labels and prunes to production dependencies; the
// package-lock decides what that prune keeps, and its on-disk size is estimated from the
// installed node_modules. Used by scripts/helm-check.mjs (step `image`). ADR 0030.

import fs from 'node:fs';
import path from 'node:path';

export const OCI_LABELS = ['title', 'description', 'version', 'revision', 'created', 'source', 'base.name'].map((l) => `org.opencontainers.image.${l}`);
/** What the runtime image must never ship (the ≈430 MB of the Prisma CLI, studio, pglite...). */
export const MUST_NOT_SHIP = ['prisma', '@prisma/studio-core', '@prisma/dev', '@electric-sql/pglite', 'typescript', 'typescript7', 'vitest', '@redocly/cli'];
/** What it must ship: the Prisma runtime and `pg`, which the migration runner uses. */
export const MUST_SHIP = ['pg', '@prisma/client', '@prisma/adapter-pg'];
const DIGEST = /^ARG NODE_IMAGE=node:[\w.-]+@sha256:[0-9a-f]{64}$/m;

/** Problems of a Dockerfile text (empty when it is fine). */
export function dockerfileProblems(text) {
  const problems = [];
  if (!DIGEST.test(text)) problems.push('ARG NODE_IMAGE is not pinned by digest (node:<tag>@sha256:<64 hex>)');
  for (const from of text.match(/^FROM .*$/gm) ?? []) if (!from.startsWith('FROM ${NODE_IMAGE}')) problems.push(`${from}: every stage must use \${NODE_IMAGE}`);
  for (const label of OCI_LABELS) if (!new RegExp(`^\\s*(LABEL\\s+)?${label.replace(/\./g, '\\.')}=`, 'm').test(text)) problems.push(`missing OCI label ${label}`);
  const prune = text.match(/npm (prune|ci)[^\n]*--omit=dev[^\n]*/)?.[0] ?? '';
  if (!prune) problems.push('no `npm prune|ci --omit=dev`');
  else if (!prune.includes('--omit=optional')) problems.push('the prune keeps devOptional packages (prisma CLI is one): add --omit=optional');
  return problems;
}

/** Lockfile entries (`node_modules/...` keys) that `npm ci --omit=dev --omit=optional` installs (npm's Node#shouldOmit). */
export function shippedPackages(lock) {
  return Object.entries(lock.packages)
    .filter(([key, p]) => key.includes('node_modules/') && !p.dev && !p.optional && !p.devOptional && !p.peer)
    .map(([key]) => key);
}

export const packageName = (key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** Bytes of the files under dir, not descending into nested node_modules (counted as their own entries). */
export function dirBytes(dir, skipNodeModules = true) {
  let total = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!(skipNodeModules && e.name === 'node_modules')) total += dirBytes(p, skipNodeModules);
    } else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

/** Estimated bytes of the runtime image's /app: shipped node_modules + dist of every workspace + the bundles. */
export function estimateAppBytes(root, lock) {
  // Workspaces are symlinked in node_modules; their dist/ is counted below instead.
  const modules = shippedPackages(lock)
    .filter((key) => !lock.packages[key].link)
    .reduce((sum, key) => sum + dirBytes(path.join(root, key)), 0);
  let dist = 0;
  for (const group of ['packages', 'services'])
    for (const ws of fs.readdirSync(path.join(root, group))) dist += dirBytes(path.join(root, group, ws, 'dist'), false);
  // The services' bundles (scripts/bundle.mjs, ADR 0093), which the processes run, with the
  // build's code cache; not the cache a started process saved in this checkout (ADR 0101), which
  // an image (read-only /app) never has.
  dist += dirBytes(path.join(root, 'dist'), false);
  const bundleDir = path.join(root, 'dist/bundle');
  if (fs.existsSync(bundleDir))
    for (const f of fs.readdirSync(bundleDir)) if (f.endsWith('.start.v8cache')) dist -= fs.statSync(path.join(bundleDir, f)).size;
  return { modules, dist };
}
