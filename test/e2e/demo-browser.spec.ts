import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInNamespace } from '@switchboard/testing/browser';
import { ROOT } from '@switchboard/testing/infra';

/**
 * The demo app and the admin console in a real browser (test/browser/demo-app.mjs): two pages
 * on two gateway replicas in a fresh network namespace. Screenshots land in .run/screenshots
 * on every run, failed or not.
 */
describe('demo app and admin console in headless Chromium', () => {
  it('create/join, chat both ways, typing/reaction/edit/receipt/push-to-talk, presence dots, a P2P call, no gap after a replica is SIGKILLed, an admin kick shows', async () => {
    for (const built of ['apps/demo/dist/web/index.html', 'apps/demo/dist/web/admin/index.html', 'apps/demo/dist/server/main.js']) {
      expect(existsSync(join(ROOT, built)), `${built} missing: run npm run build`).toBe(true);
    }
    const screenshots = join(ROOT, '.run/screenshots');
    rmSync(screenshots, { recursive: true, force: true }); // this run's pictures only
    const { code, result } = await runInNamespace('test/browser/demo-app.mjs', [], { SCREENSHOT_DIR: screenshots });
    expect(result, result.error).toMatchObject({ ok: true, replicas: ['gw1', 'gw2'], presenceSeen: ['online', 'busy'] });
    expect(result.steps).toEqual(expect.arrayContaining(['typing, reaction, edit, read receipt, push-to-talk', 'paired by code', 'admin kick shown', 'join approved']));
    // Hold to talk: bob's fake microphone, Opus-encoded by the SDK (WebCodecs), decoded on alice's page.
    expect(result.pttFramesDecoded).toBeGreaterThanOrEqual(25);
    expect(result.call.connectionState).toEqual(['connected', 'connected']);
    expect(result.call.inboundBytes[0]).toBeGreaterThan(0);
    expect(result.call.inboundBytes[1]).toBeGreaterThan(0);
    expect(result.call.framesDecoded).toBeGreaterThan(0);
    // Every message, once, in order: m4..m6 were sent while bob's replica was dead.
    expect(result.bobAfterKill).toEqual(['hello from alice!', 'hi from bob', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(result.participantsInConsole).toBe(2);
    expect(result.bobBanner).toMatch(/removed \(kicked\)/);
    for (const shot of ['demo.png', 'admin.png']) expect(existsSync(join(screenshots, shot))).toBe(true);
    expect(code).toBe(0);
  }, 300_000);
});
