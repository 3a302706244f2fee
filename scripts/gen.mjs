#!/usr/bin/env node
// Generates TypeScript from proto/ (buf + ts-proto) into packages/proto/src/gen and the
// Prisma clients of the services that persist with Prisma.
// `--check` (npm test's one generation step) regenerates protos into a temp dir and fails when the
// committed code is stale, and beside that makes the (git-ignored) Prisma clients that are
// missing or stale; `--prisma-only` makes just those. A client is current when the hash of its
// inputs (schema, prisma.config.ts, prisma version) equals the one stamped beside it when it was
// generated (ADR 0076): `prisma generate` costs seconds of CPU per schema, so it runs only when
// something changed. Plain `npm run gen` regenerates everything.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

const execFileAsync = promisify(execFile);

/** Regenerates the protos into a temp dir and compares; then buf lint. Resolves to the problems found. */
async function checkProto() {
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
  if (stale.length) return [`generated proto code is stale (${stale.join(', ')}): run npm run gen and commit`];
  await execFileAsync(buf, ['lint'], { cwd: join(root, 'proto') }).catch((err) => {
    throw new Error(`buf lint failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  });
  console.log('proto: generated code is up to date, buf lint ok');
  return [];
}

const PRISMA_STAMP = '.inputs.sha256';
// Clients already made from the same inputs, by input hash (ADR 0102): the output depends on
// nothing else (no absolute path in it), so a fresh clone with the git-ignored .cache of an
// earlier checkout (as CI keeps it) copies the client instead of running `prisma generate`.
const PRISMA_CACHE = join(root, '.cache/prisma-clients');
/**
 * Where a service's Prisma client goes and the hash of what it is generated from.
 * @param {string} svc
 */
function prismaInputs(svc) {
  const dir = join(root, 'services', svc);
  const schema = join(dir, 'prisma/schema.prisma');
  if (!existsSync(schema)) return undefined;
  const text = readFileSync(schema, 'utf8');
  const output = resolve(dirname(schema), /^\s*output\s*=\s*"([^"]+)"/m.exec(text)?.[1] ?? '../src/generated/prisma');
  const hash = createHash('sha256').update(text);
  const config = join(dir, 'prisma.config.ts');
  if (existsSync(config)) hash.update(readFileSync(config));
  hash.update(readFileSync(join(root, 'node_modules/prisma/package.json')));
  return { dir, schema, output, hash: hash.digest('hex') };
}

/**
 * Prisma clients (engine-free `prisma-client` generator), side by side. `prisma generate` needs no
 * engine download when PRISMA_SCHEMA_ENGINE_BINARY points at any existing file.
 * @param {{ force: boolean }} options
 */
async function generatePrisma({ force }) {
  const jobs = ['rooms', 'media', 'attestation'].map(async (svc) => {
    const inputs = prismaInputs(svc);
    if (!inputs) return;
    const stamp = join(inputs.output, PRISMA_STAMP);
    if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputs.hash) {
      console.log(`prisma: client for ${svc} is current`);
      return;
    }
    const cached = join(PRISMA_CACHE, inputs.hash);
    if (!force && existsSync(join(cached, PRISMA_STAMP))) {
      rmSync(inputs.output, { recursive: true, force: true });
      cpSync(cached, inputs.output, { recursive: true });
      console.log(`prisma: client for ${svc} copied from .cache (same inputs)`);
      return;
    }
    await execFileAsync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', inputs.schema], {
      cwd: inputs.dir,
      env: {
        ...process.env,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
      },
    }).catch((err) => {
      throw new Error(`prisma generate failed for ${svc}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    writeFileSync(stamp, `${inputs.hash}\n`);
    // Into the cache under a private name, then renamed: a reader never sees half a client.
    mkdirSync(PRISMA_CACHE, { recursive: true });
    const tmp = mkdtempSync(join(PRISMA_CACHE, '.tmp-'));
    cpSync(inputs.output, tmp, { recursive: true });
    try {
      renameSync(tmp, cached);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run cached the same inputs first
    }
    console.log(`prisma: generated client for ${svc}`);
  });
  const failed = (await Promise.allSettled(jobs)).flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : []));
  return failed;
}

let problems;
if (prismaOnly) {
  problems = await generatePrisma({ force: false });
} else if (check) {
  // Independent work: the proto check runs while the Prisma clients are made (started first:
  // the proto generation below is synchronous).
  const prismaDone = generatePrisma({ force: false });
  const [proto, prisma] = await Promise.all([checkProto().catch((err) => [err.message]), prismaDone]);
  problems = [...proto, ...prisma];
} else {
  generateProto(genDir);
  console.log('proto: generated packages/proto/src/gen');
  problems = await generatePrisma({ force: true });
}
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);
