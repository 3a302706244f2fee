import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '@switchboard/testing/infra';

interface ComposeFile {
  services: Record<string, { ports?: (string | number | { host_ip?: string; published?: string | number; target: number })[]; volumes?: (string | { source?: string; target?: string })[] }>;
}

/** Host address of one `ports:` entry: short syntax `[ip:]published:target[/proto]` or long syntax. */
function hostIpOf(entry: string | number | { host_ip?: string }): string | undefined {
  if (typeof entry === 'object') return entry.host_ip;
  const parts = String(entry).split('/')[0].split(':');
  // "target" and "published:target" have no address; "ip:published:target" (IPv6 in brackets) does.
  return parts.length >= 3 ? parts.slice(0, -2).join(':') : undefined;
}

/**
 * docker-compose.dev.yml runs Postgres with trust auth, Redis and NATS without passwords and
 * Grafana as anonymous admin (issue 10 item 10): every published port must be bound to the
 * loopback interface, never to all interfaces.
 */
describe('docker-compose.dev.yml publishes ports on loopback only', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.dev.yml'), 'utf8')) as ComposeFile;
  const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, entry: p })));

  it('parses entries with and without an address', () => {
    expect(hostIpOf('5432:5432')).toBeUndefined();
    expect(hostIpOf('3478:3478/udp')).toBeUndefined();
    expect(hostIpOf('127.0.0.1:3478:3478/udp')).toBe('127.0.0.1');
    expect(hostIpOf('0.0.0.0:80:80')).toBe('0.0.0.0');
    expect(hostIpOf({ host_ip: '127.0.0.1' })).toBe('127.0.0.1');
  });

  it('binds every published port of every service to 127.0.0.1', () => {
    expect(published.length).toBeGreaterThan(10);
    const exposed = published.filter((p) => hostIpOf(p.entry) !== '127.0.0.1').map((p) => `${p.name}: ${JSON.stringify(p.entry)}`);
    expect(exposed).toEqual([]);
  });
});

/** Issue 15: the dev compose file brings the whole stack, with the chart's alert rules and dashboards. */
describe('docker-compose.dev.yml brings the whole stack', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.dev.yml'), 'utf8')) as ComposeFile;
  const mounts = (service: string) => (compose.services[service]?.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':').slice(0, 2).join(':') : `${v.source}:${v.target}`));

  it('runs every Switchboard service, its infrastructure, LiveKit, coturn, Prometheus and Grafana', () => {
    const names = Object.keys(compose.services);
    for (const s of ['nats', 'redis', 'postgres', 'livekit', 'coturn', 'prometheus', 'grafana', 'migrate', 'rooms', 'presence', 'media', 'attestation']) expect(names).toContain(s);
    expect(names.filter((n) => n.startsWith('gateway')).length).toBeGreaterThanOrEqual(2);
  });

  it('loads the rendered alert rules into Prometheus and the chart dashboards into Grafana', () => {
    expect(mounts('prometheus')).toEqual(expect.arrayContaining(['./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml', './deploy/prometheus/rules:/etc/prometheus/rules']));
    expect(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')).toMatch(/rules\/switchboard\.rules\.yaml/);
    expect(mounts('grafana')).toContain('./deploy/helm/switchboard/dashboards:/var/lib/grafana/dashboards/switchboard');
  });
});
