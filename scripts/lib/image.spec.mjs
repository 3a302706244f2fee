import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dockerfileProblems, MUST_NOT_SHIP, MUST_SHIP, packageName, shippedPackages } from './image.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));

describe('container image (static, ADR 0030)', () => {
  it('the Dockerfile pins its base by digest, labels the image and prunes to production', () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
  });

  it('fails when the digest, a label or the optional prune regress', () => {
    const unpinned = dockerfile.replace(/@sha256:[0-9a-f]{64}/, '');
    expect(dockerfileProblems(unpinned)).toEqual([expect.stringContaining('not pinned by digest')]);
    const unlabelled = dockerfile.replace(/org\.opencontainers\.image\.revision=/, 'org.example.revision=');
    expect(dockerfileProblems(unlabelled)).toEqual(['missing OCI label org.opencontainers.image.revision']);
    const devOnly = dockerfile.replace(' --omit=optional', '');
    expect(dockerfileProblems(devOnly)).toEqual([expect.stringContaining('--omit=optional')]);
    const otherBase = dockerfile.replace('FROM ${NODE_IMAGE} AS runtime', 'FROM node:20 AS runtime');
    expect(dockerfileProblems(otherBase)).toEqual([expect.stringContaining('FROM node:20 AS runtime')]);
  });

  it('the lockfile ships the migration runner and Prisma runtime, not the Prisma CLI, studio or pglite', () => {
    const shipped = new Set(shippedPackages(lock).map(packageName));
    expect(MUST_SHIP.filter((n) => !shipped.has(n))).toEqual([]);
    expect(MUST_NOT_SHIP.filter((n) => shipped.has(n))).toEqual([]);
    // `--omit=dev` alone would keep prisma: it is devOptional (root devDependency + optional peer).
    expect(lock.packages['node_modules/prisma']).toMatchObject({ devOptional: true });
  });
});
