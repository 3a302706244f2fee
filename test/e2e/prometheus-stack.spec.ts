import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchboardClient } from '@switchboard/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort, ROOT } from '../support/infra.js';
import { NPM_START_HTTP, startNpmStart, type NpmStart } from '../support/npm-start.js';
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
 * Issue 15: a real Prometheus (Debian package) scrapes all six processes of `npm start` under
 * a small load and evaluates every dashboard query and every alert expression through its
 * HTTP API; rules load from the same file the compose Prometheus uses.
 */
describe('a real Prometheus against a running stack', () => {
  let stack: NpmStart;
  let prometheus: ChildProcess;
  let promUrl = '';
  let promLog = '';
  const dir = mkdtempSync(join(tmpdir(), 'sb-prom-'));
  const adminKey = `key-${uid()}`;
  const exposition: Record<string, string> = {};

  beforeAll(async () => {
    // A loaded CI machine answers slowly; the load is about producing series, not latency.
    stack = await startNpmStart({ JWT_SECRET: 'prometheus-test-secret-0123456789', ADMIN_API_KEYS: adminKey, REQUEST_TIMEOUT_MS: '15000' });
    const targets = Object.entries(NPM_START_HTTP).map(([job, offsets]) => ({ job_name: job, scrape_interval: '1s', scrape_timeout: '900ms', static_configs: [{ targets: offsets.map((o) => `127.0.0.1:${stack.base + o}`), labels: { namespace: 'switchboard' } }] }));
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify({ global: { evaluation_interval: '1s' }, rule_files: [RULES], scrape_configs: targets }));
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d) => (promLog = (promLog + d).slice(-20_000)));
    prometheus.stderr!.on('data', (d) => (promLog = (promLog + d).slice(-20_000)));
    await until(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok || prometheus.exitCode !== null, 'prometheus to be ready', 60_000, 200);
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${promLog}`);
    await load();
    // Enough scrapes after the load for 20 s rate windows to hold two samples of everything.
    await until(async () => (await query('min(count_over_time(up[20s]))'))?.data?.result.length && Number(((await query('min(count_over_time(up[20s]))')).data!.result[0] as { value: [number, string] }).value[1]) >= 10, 'ten scrapes of every target', 60_000, 500);
  }, 360_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function query(expr: string): Promise<PromResult> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as PromResult;
  }

  /** A small load that touches every service: rooms, chat, presence, a call, the admin API and a resume. */
  async function load() {
    const base = stack.base;
    const mint = async (userId: string) => {
      const res = await fetch(`http://127.0.0.1:${base}/admin/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': adminKey }, body: JSON.stringify({ userId }) });
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
    await until(async () => b2.request('session.resume', { sessionId, rooms: { [room.id]: 0 } }).then(() => true, (e: { code?: string }) => e.code === 'conflict'), 'the resume to be answered', 20_000, 500);
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
            if (unexplained.length || undeclared.length || absent.length === 0) failures.push(`${file} "${p.title}": no series (${[...unexplained, ...undeclared.map((n) => `${n} not declared`)].join(', ') || t.expr})`);
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
    const loaded = await until(async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } };
      const rules = r.data.groups.flatMap((g) => g.rules);
      return rules.length === alerts.length && rules.every((x) => !x.lastEvaluation.startsWith('0001')) ? rules : undefined;
    }, 'every rule evaluated once', 30_000, 500);
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
