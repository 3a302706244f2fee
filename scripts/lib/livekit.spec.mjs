import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureLivekit, livekitBinary, livekitConfig, LIVEKIT_VERSION } from './livekit.mjs';

describe('scripts/lib/livekit.mjs', () => {
  const dirs = [];
  const tmpRepo = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-lk-spec-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('without Go: says so and how to get LiveKit, builds nothing', async () => {
    const repoRoot = tmpRepo();
    const r = await ensureLivekit({ repoRoot, go: null });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/go is not installed/);
    expect(r.reason).toContain(`go install github.com/livekit/livekit-server/cmd/server@${LIVEKIT_VERSION}`);
    expect(fs.existsSync(path.join(repoRoot, '.cache'))).toBe(false);
  });

  it('uses the cached binary of the pinned version without needing Go', async () => {
    const repoRoot = tmpRepo();
    const binary = livekitBinary({ repoRoot });
    expect(binary).toBe(path.join(repoRoot, '.cache', 'livekit', LIVEKIT_VERSION, 'server'));
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    fs.writeFileSync(binary, '#!/bin/sh\n', { mode: 0o755 });
    expect(await ensureLivekit({ repoRoot, go: null })).toEqual({ ok: true, binary, cached: true });
  });

  it('a failing build reports go\'s own error', async () => {
    const repoRoot = tmpRepo();
    const fakeGo = path.join(repoRoot, 'go');
    fs.writeFileSync(fakeGo, '#!/bin/sh\necho "go: github.com/livekit/livekit-server@v1.13.5: refused by proxy" >&2\nexit 1\n', { mode: 0o755 });
    const r = await ensureLivekit({ repoRoot, go: fakeGo });
    expect(r.ok).toBe(false);
    expect(r.reason).toContain('refused by proxy');
  });

  it('writes a loopback-only dev config with the webhook and short timeouts', () => {
    const yaml = livekitConfig({ port: 17880, udpPort: 17882, webhookUrl: 'http://127.0.0.1:9103/livekit/webhook', stunServers: ['127.0.0.1:3478'], emptyTimeoutS: 10, departureTimeoutS: 5 });
    for (const line of ['port: 17880', 'bind_addresses: ["127.0.0.1"]', '  udp_port: 17882', '  tcp_port: 0', '  use_external_ip: false', '  enable_loopback_candidate: true', '    includes: ["127.0.0.1/32"]', '  stun_servers: ["127.0.0.1:3478"]', '  empty_timeout: 10', '  departure_timeout: 5', '  api_key: devkey', '    - "http://127.0.0.1:9103/livekit/webhook"']) {
      expect(yaml.split('\n')).toContain(line);
    }
  });
});
