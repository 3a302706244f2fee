#!/usr/bin/env node
// Generates TypeScript from proto/ (buf + ts-proto) into packages/proto/src/gen and the
// Prisma clients of the services that persist with Prisma.
// `--check` regenerates protos into a temp dir and fails when the committed code is stale;
// `--prisma-only` makes just the (git-ignored) Prisma clients.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const prismaOnly = process.argv.includes('--prisma-only');
const genDir = join(root, 'packages/proto/src/gen');
const buf = join(root, 'node_modules/.bin/buf');

function listFiles(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

function generateProto(outDir) {
  const tmpTemplate = readFileSync(join(root, 'proto/buf.gen.yaml'), 'utf8').replace(
    '../packages/proto/src/gen',
    outDir,
  );
  const tmpDir = mkdtempSync(join(tmpdir(), 'sb-buf-'));
  const template = join(tmpDir, 'buf.gen.yaml');
  writeFileSync(template, tmpTemplate.replace('../node_modules', join(root, 'node_modules')));
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(buf, ['generate', '--template', template], { cwd: join(root, 'proto'), stdio: 'inherit' });
  rmSync(tmpDir, { recursive: true, force: true });
}

if (prismaOnly) {
  // proto code is committed; only the git-ignored Prisma clients are made below
} else if (check) {
  const tmp = mkdtempSync(join(tmpdir(), 'sb-gen-'));
  generateProto(tmp);
  const want = listFiles(tmp).sort();
  const have = listFiles(genDir).sort();
  const stale = [];
  if (want.join() !== have.join()) stale.push('file list differs');
  for (const f of want) {
    if (existsSync(join(genDir, f)) && readFileSync(join(tmp, f), 'utf8') !== readFileSync(join(genDir, f), 'utf8')) stale.push(f);
  }
  rmSync(tmp, { recursive: true, force: true });
  if (stale.length) {
    console.error(`generated proto code is stale (${stale.join(', ')}): run npm run gen and commit`);
    process.exit(1);
  }
  execFileSync(buf, ['lint'], { cwd: join(root, 'proto'), stdio: 'inherit' });
  console.log('proto: generated code is up to date, buf lint ok');
} else {
  generateProto(genDir);
  console.log('proto: generated packages/proto/src/gen');
}

// Prisma clients (engine-free `prisma-client` generator). `prisma generate` needs no engine
// download when PRISMA_SCHEMA_ENGINE_BINARY points at any existing file.
for (const svc of check ? [] : ['rooms', 'media', 'attestation']) {
  const schema = join(root, 'services', svc, 'prisma/schema.prisma');
  if (!existsSync(schema)) continue;
  execFileSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', schema], {
    cwd: join(root, 'services', svc),
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    },
  });
  console.log(`prisma: generated client for ${svc}`);
}
