import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGateway } from '@switchboard/gateway/service';
import { startRooms } from '@switchboard/rooms/service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/infra.js';
import { ADMIN_KEY, Stack, testEnv, uid, until } from '../support/stack.js';

const run = promisify(execFile);

/** Issue 14: the quick start of docs/client.md works as pasted; the package packs and imports; TypeDoc builds. */
describe('@switchboard/client as a package', () => {
  const stack = new Stack();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  const scratch: string[] = [];

  beforeAll(async () => {
    await stack.add(startRooms(testEnv()));
    gw = await stack.add(startGateway(testEnv()));
    // The pasted script gives up on its first error: wait until the rooms path answers (a cold start on a loaded machine is slow).
    const warm = await stack.client(gw);
    await until(() => warm.request('room.list', {}).then(() => true), 'rooms answering', 60_000, 500);
  });
  afterAll(async () => {
    await stack.stop();
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });

  it('runs the quick start of docs/client.md unchanged', async () => {
    const doc = await readFile(join(ROOT, 'docs/client.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(doc)![1]!;
    expect(code.split('\n').filter((l) => l.trim()).length).toBeLessThanOrEqual(20);
    // Inside the repository, so `@switchboard/client` resolves like an installed package (its dist/).
    const dir = join(ROOT, '.cache', uid('quickstart'));
    scratch.push(dir);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'first.mjs'), code);
    const { stdout } = await run(process.execPath, [join(dir, 'first.mjs')], {
      env: { ...process.env, SB_URL: `http://127.0.0.1:${gw.httpPort}`, SB_ADMIN_KEY: ADMIN_KEY },
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^sent m?\S+ history \[ 'hello, world' \]$/m);
  });

  it('packs with npm, and the tarballs import with types from a clean directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-pack-'));
    scratch.push(dir);
    const packed: Record<string, string> = {};
    // One npm for both workspaces: each npm start-up costs about a CPU second (issue 12).
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir, '--workspace', 'packages/protocol', '--workspace', 'packages/client'], { cwd: ROOT, timeout: 60_000 });
    const infos = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[];
    expect(infos.map((i) => i.name)).toEqual(['@switchboard/protocol', '@switchboard/client']);
    for (const pkg of ['protocol', 'client']) {
      const info = infos.find((i) => i.name === `@switchboard/${pkg}`);
      const files = info!.files.map((f) => f.path);
      expect(files).toContain('dist/index.js');
      expect(files).toContain('dist/index.d.ts');
      expect(files.some((f) => f.includes('.spec.'))).toBe(false);
      const into = join(dir, 'node_modules', '@switchboard', pkg);
      await mkdir(into, { recursive: true });
      await run('tar', ['-xzf', join(dir, info!.filename), '-C', into, '--strip-components=1']);
      packed[pkg] = into;
    }
    expect((await readFile(join(packed.client!, 'README.md'), 'utf8')).length).toBeGreaterThan(100);
    // The third-party dependencies come from the repository's node_modules (tests stay offline).
    for (const dep of ['zod', 'msgpackr', 'ws']) await symlink(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
    const probe = "import('@switchboard/client').then(async (m) => { const n = await import('@switchboard/client/node'); console.log(typeof m.connect, typeof m.Switchboard, typeof n.SwitchboardClient, typeof n.verifyServerList); })";
    const imported = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, timeout: 30_000 });
    expect(imported.stdout.trim()).toBe('function function function function');
  });

  it('builds the API reference with TypeDoc (no warnings)', async () => {
    // --skipErrorChecking: the compiler's type errors are tsc -b's to find (it checks these sources in
    // the same run); TypeDoc's own warnings (links, missing exports, comments) still fail. A quarter of its CPU (ADR 0085).
    const { stdout, stderr } = await run(join(ROOT, 'node_modules/.bin/typedoc'), ['--options', 'packages/client/typedoc.json', '--emit', 'none', '--treatWarningsAsErrors', '--skipErrorChecking'], { cwd: ROOT, timeout: 240_000 });
    expect(`${stdout}${stderr}`).not.toMatch(/\[error\]|\[warning\]/);
  }, 300_000);
});
