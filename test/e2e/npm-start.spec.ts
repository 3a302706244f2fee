import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { SwitchboardClient } from '@switchboard/client/node';
import { callUnary } from '@switchboard/platform';
import { health } from '@switchboard/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, ROOT } from '../support/infra.js';
import { isFree, NPM_START_HTTP, startNpmStart, type NpmStart } from '../support/npm-start.js';
import { uid, until } from '../support/stack.js';

const DASHBOARDS = join(ROOT, 'deploy/helm/switchboard/dashboards');
const RULES = join(ROOT, 'deploy/prometheus/rules/switchboard.rules.yaml');

/**
 * Metrics that only have samples once something rare happens, which a small load does not
 * (or must not) cause. A query that returns no series passes only when every metric name it
 * reads that has no series is listed here, and the metric is still declared (# TYPE) by a
 * running process: a renamed or removed metric fails.
 */
const EVENT_ONLY: Record<string, string> = {
  switchboard_jetstream_consumer_pending_messages: 'durable JetStream consumers only; Switchboard runs none today',
  switchboard_calls_ended_total: 'labelled by outcome; the load declines its call, which is counted, but the label set differs per outcome',
  switchboard_call_ring_seconds_bucket: 'observed when a ring ends',
  switchboard_calls_refused_total: 'a refused call.start',
  switchboard_call_log_failures_total: 'the call log failing to write',
  switchboard_chunk_requests_total: 'chunk distribution (not in the load)',
  switchboard_chunk_pulls_total: 'chunk distribution',
  switchboard_chunk_pushes_total: 'chunk distribution',
  switchboard_chunk_bytes_delivered_total: 'chunk distribution',
  switchboard_attestation_verifications_total: 'device attestation (not in the load)',
  switchboard_attestation_registrations_total: 'device attestation',
  switchboard_attestation_challenges_total: 'device attestation',
  switchboard_gateway_attestation_checks_total: 'ATTESTATION_MODE=log|enforce only (npm start runs off)',
  switchboard_livekit_webhooks_total: 'LiveKit webhooks need a media session in LiveKit',
  switchboard_livekit_webhook_lag_seconds_bucket: 'LiveKit webhooks',
  switchboard_livekit_api_errors_total: 'a failing LiveKit API call',
  switchboard_sfu_enforcements_total: 'a mute/kick in an SFU room',
  switchboard_sfu_reconciled_total: 'reconcile finding a difference',
  switchboard_presence_changes_total: 'counted per status; present once anyone changes status',
  switchboard_gateway_rate_limited_total: 'a client over its rate limit',
  switchboard_gateway_reorder_gaps_total: 'a lost room event',
  switchboard_redis_operation_errors_total: 'a failing Redis command',
  switchboard_postgres_operation_errors_total: 'a failing query',
};

const METRIC_NAME = /\b((?:switchboard|process|nodejs)_[a-z0-9_]+|up)\b(?=\s*[{[)]|\s*$|\s*(?:offset|>|<|==|\/|\*|\+|-|and|or|unless))/g;
const metricNames = (expr: string) => [...new Set([...expr.matchAll(METRIC_NAME)].map((m) => m[1]))].filter((n) => !['by', 'on', 'le'].includes(n));

/** Grafana's variables as "all" and a short rate window the 1 s scrape fills quickly. */
const concrete = (expr: string) => expr.replace(/\$__rate_interval/g, '20s').replace(/\$(namespace|replica|verb|job)\b/g, '.*');

interface PromResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

/**
 * Issue 2 "done when": the one-command local stack, driven like a user would; and issue 15's real
 * Prometheus scraping it. One `npm start` for both (six service processes, NATS, coturn, LiveKit
 * and the demo server: the costliest start-up of the suite, issue 12, ADR 0085); the Prometheus
 * part runs first, the user's Ctrl-C last.
 */
describe('npm start (scripts/start.mjs)', () => {
  let child: ChildProcess;
  let base: number;
  let output = '';
  const adminKey = `key-${uid()}`;

  let started: NpmStart | undefined;

  beforeAll(async () => {
    // REQUEST_TIMEOUT_MS: a loaded CI machine answers slowly; the Prometheus load is about producing series, not latency.
    started = await startNpmStart({ JWT_SECRET: 'npm-start-test-secret-0123456789', ADMIN_API_KEYS: adminKey, REQUEST_TIMEOUT_MS: '15000' });
    ({ child, base } = started);
    output = started.output();
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  }, 200_000);

  afterAll(async () => {
    await started?.stop(); // the last test stops it with Ctrl-C itself; this is for a failure before that
  });

  /**
   * Issue 15: a real Prometheus (Debian package) scrapes all six processes of `npm start` under
   * a small load and evaluates every dashboard query and every alert expression through its
   * HTTP API; rules load from the same file the compose Prometheus uses.
   */
  describe('a real Prometheus against a running stack', () => {
    let prometheus: ChildProcess;
    let promUrl = '';
    let promLog = '';
    const dir = mkdtempSync(join(tmpdir(), 'sb-prom-'));
    const exposition: Record<string, string> = {};

    beforeAll(async () => {
      const targets = Object.entries(NPM_START_HTTP).map(([job, offsets]) => ({
        job_name: job,
        scrape_interval: '1s',
        scrape_timeout: '900ms',
        static_configs: [{ targets: offsets.map((o) => `127.0.0.1:${base + o}`), labels: { namespace: 'switchboard' } }],
      }));
      writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify({ global: { evaluation_interval: '1s' }, rule_files: [RULES], scrape_configs: targets }));
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prometheus = spawn(
        'prometheus',
        [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      prometheus.stdout!.on('data', (d) => (promLog = (promLog + d).slice(-20_000)));
      prometheus.stderr!.on('data', (d) => (promLog = (promLog + d).slice(-20_000)));
      await until(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok || prometheus.exitCode !== null, 'prometheus to be ready', 60_000, 200);
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
      await load();
      // Enough scrapes after the load for 20 s rate windows to hold two samples of everything.
      await until(
        async () =>
          (await query('min(count_over_time(up[20s]))'))?.data?.result.length && Number(((await query('min(count_over_time(up[20s]))')).data!.result[0] as { value: [number, string] }).value[1]) >= 10,
        'ten scrapes of every target',
        60_000,
        500,
      );
    }, 360_000);

    afterAll(async () => {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((r) => prometheus.once('exit', r));
        prometheus.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    async function query(expr: string): Promise<PromResult> {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await res.json()) as PromResult;
    }

    /** A small load that touches every service: rooms, chat, presence, a call, the admin API and a resume. */
    async function load() {
      const mint = async (userId: string) => {
        const res = await fetch(`http://127.0.0.1:${base}/admin/v1/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
          body: JSON.stringify({ userId }),
        });
        return ((await res.json()) as { token: string }).token;
      };
      const a = await SwitchboardClient.connect(`ws://127.0.0.1:${base}/ws`, await mint(uid('a')));
      const bId = uid('b');
      const b = await SwitchboardClient.connect(`ws://127.0.0.1:${base + 1}/ws`, await mint(bId));
      const { room } = await a.request('room.create', { name: 'prometheus', kind: 'group', joinPolicy: 'open' });
      await b.request('room.join', { roomId: room.id });
      for (let i = 0; i < 20; i++) {
        await a.request('chat.send', { roomId: room.id, text: `hello ${i}`, clientMsgId: `m${i}` });
        await b.request('room.broadcast', { roomId: room.id, data: { i } });
      }
      await a.request('presence.set', { status: 'away' });
      await b.request('chat.history', { roomId: room.id });
      await a.request('room.join', { roomId: `missing-${uid()}` }).catch(() => undefined);
      const { callId } = await a.request('call.start', { roomId: room.id, media: 'audio', mode: 'p2p' });
      await b.waitFor('call.incoming', (e) => e.data.callId === callId);
      await b.request('call.decline', { callId });
      // an SFU room: media asks LiveKit's API for the room (switchboard_livekit_api_seconds)
      const { room: sfu } = await a.request('room.create', { name: 'prometheus-sfu', kind: 'sfu', joinPolicy: 'open' });
      await a.request('media.token', { roomId: sfu.id });
      for (const path of ['/admin/v1/rooms', `/admin/v1/rooms/${room.id}`, `/admin/v1/calls?roomId=${room.id}`, `/admin/v1/users/${bId}/presence`]) {
        await fetch(`http://127.0.0.1:${base}${path}`, { headers: { 'x-api-key': adminKey } });
      }
      // b drops and resumes on the other gateway
      const sessionId = b.hello.sessionId;
      b.ws.terminate();
      const b2 = await SwitchboardClient.connect(`ws://127.0.0.1:${base}/ws`, await mint(bId));
      await until(
        async () =>
          b2.request('session.resume', { sessionId, rooms: { [room.id]: 0 } }).then(
            () => true,
            (e: { code?: string }) => e.code === 'conflict',
          ),
        'the resume to be answered',
        20_000,
        500,
      );
      await Promise.all([a.close(), b2.close()]);
      for (const [job, offsets] of Object.entries(NPM_START_HTTP)) {
        for (const o of offsets) exposition[`${job}:${o}`] = await (await fetch(`http://127.0.0.1:${base + o}/metrics`)).text();
      }
    }

    const declared = (name: string) => {
      const family = name.replace(/_(bucket|count|sum)$/, '');
      return Object.values(exposition).some((t) => t.includes(`# TYPE ${family} `));
    };

    it('passes promtool check metrics on all six processes', () => {
      expect(Object.keys(exposition)).toHaveLength(6);
      for (const [proc, text] of Object.entries(exposition)) {
        const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect({ proc, status: r.status, out: `${r.stdout}${r.stderr}`.trim() }).toEqual({ proc, status: 0, out: '' });
      }
    });

    it('scrapes every process', async () => {
      const up = await query('up{namespace="switchboard"} == 1');
      expect((up.data!.result as { metric: { job: string } }[]).map((r) => r.metric.job).sort()).toEqual(['attestation', 'gateway', 'gateway', 'media', 'presence', 'rooms']);
    });

    it('evaluates every dashboard query without error and with data', async () => {
      const failures: string[] = [];
      let evaluated = 0;
      for (const file of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
        const json = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8'));
        const panels = (json.panels ?? []).flatMap((p: { panels?: unknown[] }) => [p, ...(p.panels ?? [])]) as { title: string; targets?: { expr?: string }[] }[];
        for (const p of panels) {
          for (const t of p.targets ?? []) {
            if (!t.expr) continue;
            evaluated++;
            const r = await query(concrete(t.expr));
            if (r.status !== 'success') failures.push(`${file} "${p.title}": ${r.error}`);
            else if (r.data!.result.length === 0) {
              const names = metricNames(t.expr);
              const absent = [];
              for (const n of names) if (!(await query(`count(${n}{namespace="switchboard"})`)).data!.result.length) absent.push(n);
              const unexplained = absent.filter((n) => !EVENT_ONLY[n]);
              const undeclared = absent.filter((n) => EVENT_ONLY[n] && !declared(n));
              if (unexplained.length || undeclared.length || absent.length === 0)
                failures.push(`${file} "${p.title}": no series (${[...unexplained, ...undeclared.map((n) => `${n} not declared`)].join(', ') || t.expr})`);
            }
          }
        }
      }
      expect(evaluated).toBeGreaterThan(100);
      expect(failures).toEqual([]);
    });

    it('loads every alert rule from the shared rule file and evaluates it without error', async () => {
      const file = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
      const alerts = file.groups.flatMap((g) => g.rules);
      expect(alerts.length).toBeGreaterThanOrEqual(15);
      const loaded = await until(
        async () => {
          const r = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } };
          const rules = r.data.groups.flatMap((g) => g.rules);
          return rules.length === alerts.length && rules.every((x) => !x.lastEvaluation.startsWith('0001')) ? rules : undefined;
        },
        'every rule evaluated once',
        30_000,
        500,
      );
      expect(loaded.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
      const failures: string[] = [];
      for (const a of alerts) {
        const r = await query(a.expr);
        if (r.status !== 'success') failures.push(`${a.alert}: ${r.error}`);
        // Alerts are quiet on a healthy stack; what they read must exist, though.
        for (const n of metricNames(a.expr)) {
          if ((await query(`count(${n}{namespace="switchboard"})`)).data!.result.length) continue;
          if (!EVENT_ONLY[n] || !declared(n)) failures.push(`${a.alert}: ${n} has no series${EVENT_ONLY[n] ? ' and is not declared' : ''}`);
        }
      }
      expect(failures).toEqual([]);
    });
  });

  describe('as a user drives it', () => {
    it('prints the URLs, mints a token over REST, and routes a room between replica A and B', async () => {
      expect(output).toContain(`ws://127.0.0.1:${base}/ws`);
      expect(output).toContain(`ws://127.0.0.1:${base + 1}/ws`);
      const mint = async (userId: string) => {
        const res = await fetch(`http://127.0.0.1:${base}/admin/v1/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
          body: JSON.stringify({ userId }),
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { token: string }).token;
      };
      const a = await SwitchboardClient.connect(`ws://127.0.0.1:${base}/ws`, await mint(uid('a')));
      const b = await SwitchboardClient.connect(`ws://127.0.0.1:${base + 1}/ws`, await mint(uid('b')));
      try {
        expect(a.hello.server.node).toBe('gateway-a');
        expect(b.hello.server.node).toBe('gateway-b');
        const { room } = await a.request('room.create', { name: 'npm-start', kind: 'p2p', joinPolicy: 'open' });
        await b.request('room.join', { roomId: room.id });
        const ev = await a.waitFor('room.participant_joined', (e) => e.room === room.id);
        expect(ev.data.participant.connectionId).toBe(b.hello.connectionId);
        // media is wired to rooms (membership), the gateways and its database (the call log)
        const { callId } = await a.request('call.start', { roomId: room.id, media: 'audio', mode: 'p2p' });
        await b.waitFor('call.incoming', (e) => e.data.callId === callId);
        await b.request('call.decline', { callId });
        await a.waitFor('call.ended', (e) => e.data.callId === callId);
        const calls = await fetch(`http://127.0.0.1:${base + 1}/admin/v1/calls?roomId=${room.id}`, { headers: { 'x-api-key': adminKey } });
        expect(((await calls.json()) as { calls: { id: string }[] }).calls.map((c) => c.id)).toEqual([callId]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('serves the demo app and the admin console at the printed URL, with dev tokens the gateways accept', async () => {
      const demo = `http://127.0.0.1:${base + 50}`;
      expect(output).toContain(`${demo}/`);
      expect(await (await fetch(`${demo}/`)).text()).toContain('Switchboard demo');
      expect(await (await fetch(`${demo}/admin/`)).text()).toContain('Switchboard admin console');
      const config = (await (await fetch(`${demo}/config.json`)).json()) as { servers: string[]; devTokens: boolean };
      expect(config).toEqual({ servers: [`ws://127.0.0.1:${base}/ws`, `ws://127.0.0.1:${base + 1}/ws`], devTokens: true });
      const minted = (await (await fetch(`${demo}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Demo User' }) })).json()) as {
        token: string;
        userId: string;
      };
      const c = await SwitchboardClient.connect(config.servers[1], minted.token);
      expect(c.hello.userId).toBe('demo-user');
      await c.close();
      // the console's calls go through the demo server with the operator's own key, and only with it
      expect((await fetch(`${demo}/admin/v1/rooms`, { headers: { 'x-api-key': adminKey } })).status).toBe(200);
      expect((await fetch(`${demo}/admin/v1/rooms`)).status).toBe(401);
    });

    it('migrates the attestation database and lists both gateways in the signed GET /v1/servers', async () => {
      // Polled gently: the public routes are rate limited per address (ATTEST_RATE_PER_MIN).
      const res = await until(
        async () => {
          const r = await fetch(`http://127.0.0.1:${base}/v1/servers`);
          const list = ((await r.json()) as { servers: { endpoint: string }[] }).servers.map((s) => s.endpoint);
          return list.includes(`ws://127.0.0.1:${base}/ws`) && list.includes(`ws://127.0.0.1:${base + 1}/ws`) ? r : undefined;
        },
        'both gateways in the server list',
        15_000,
        500,
      );
      expect(res.headers.get('switchboard-signature')).toMatch(/^[A-Za-z0-9_-]{86}$/);
      const tokens = await fetch(`http://127.0.0.1:${base}/admin/v1/attestation/build-tokens`, { headers: { 'x-api-key': adminKey } });
      expect(tokens.status).toBe(200);
    });

    it('starts coturn and LiveKit next to the services: hello (or session.ice) has ICE servers, media.token gives an SFU URL', async () => {
      const res = await fetch(`http://127.0.0.1:${base}/admin/v1/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': adminKey },
        body: JSON.stringify({ userId: uid('sfu') }),
      });
      const a = await SwitchboardClient.connect(`ws://127.0.0.1:${base}/ws`, ((await res.json()) as { token: string }).token);
      try {
        const ice = (await a.iceServers()) as { urls: string[] | string; username?: string }[];
        expect(ice.length).toBeGreaterThan(0);
        expect(
          ice.some((s) => s.username && [s.urls].flat().some((u) => u.startsWith('turn:127.0.0.1:'))),
          JSON.stringify(ice),
        ).toBe(true);
        const { room } = await a.request('room.create', { name: 'npm-start-sfu', kind: 'sfu', joinPolicy: 'open' });
        const grant = await a.request('media.token', { roomId: room.id });
        expect(grant.url).toBe(`ws://127.0.0.1:${base + 41}`);
        expect(grant.token.split('.')).toHaveLength(3);
        // LiveKit answers on loopback and knows the room the token is for
        expect((await fetch(`http://127.0.0.1:${base + 41}/`)).status).toBe(200);
      } finally {
        await a.close();
      }
      expect(output).toContain(`SFU (LiveKit)  ws://127.0.0.1:${base + 41}`);
    });

    it('serves /metrics, /healthz and /readyz on every process', async () => {
      for (const offset of [0, 1, 11, 12, 13, 14]) {
        const metrics = await fetch(`http://127.0.0.1:${base + offset}/metrics`);
        expect(metrics.status).toBe(200);
        const text = await metrics.text();
        expect(text).toMatch(/^process_cpu_user_seconds_total\{service="[a-z]+"/m);
        expect((await fetch(`http://127.0.0.1:${base + offset}/healthz`)).status).toBe(200);
        expect((await fetch(`http://127.0.0.1:${base + offset}/readyz`)).status).toBe(200);
      }
    });

    it('guards its trust boundaries: NATS and gRPC refuse callers without credentials', async () => {
      await expect(connect({ servers: `nats://127.0.0.1:${base + 30}`, reconnect: false })).rejects.toThrow(/authorization/i);
      for (const offset of [21, 22, 23, 24]) {
        const bare = new health.HealthClient(`127.0.0.1:${base + offset}`, grpc.credentials.createInsecure());
        try {
          await expect(callUnary(bare, bare.check, { service: '' }, 5000)).rejects.toMatchObject({ code: 'unauthorized' });
        } finally {
          bare.close();
        }
      }
    });

    it('stops every process cleanly on Ctrl-C', async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(output).toContain('stopped');
      for (const offset of [0, 1, 11, 12, 13, 14, 41]) expect(await isFree(base + offset)).toBe(true);
      await expect(connect({ servers: `nats://127.0.0.1:${base + 30}`, reconnect: false })).rejects.toThrow();
    });
  });
});
