#!/usr/bin/env node
// Replays a synthetic day of traffic through the capacity model (scripts/lib/capacity.mjs,
// docs/capacity.md) and prints the hourly load, the replicas needed and what saturates first.
// Usage: node scripts/capacity-sim.mjs [--connections 1000000] [--streams 12] [--json]
import { parseArgs } from 'node:util';
import { project, simulateDay } from './lib/capacity.mjs';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '100000' }, streams: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } } });
const peak = Number(values.connections);
const streams = Number(values.streams);
if (!Number.isInteger(peak) || peak < 1 || !Number.isInteger(streams) || streams < 1 || streams > 16) {
  console.error('--connections must be a positive integer and --streams 1..16');
  process.exit(2);
}
const day = simulateDay(peak, { streams });
if (values.json) {
  console.log(JSON.stringify({ peak: project(peak, { streams }), totals: day.totals }, null, 2));
  process.exit(0);
}
const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`synthetic day, peak ${f(peak)} connections, ${streams} room event stream(s)\n`);
console.log('hour  connections  deliveries/s  chat/s  joins/s  signals/s  gw  rooms  presence  most utilized');
for (const h of day.hours) {
  const r = h.rates;
  console.log(
    `${String(h.hour).padStart(4)}  ${f(r.connections).padStart(11)}  ${f(r.deliveries).padStart(12)}  ${f(r.chat, 1).padStart(6)}  ${f(r.joins, 1).padStart(7)}  ${f(r.signals).padStart(9)}  ${String(h.replicas.gateway).padStart(2)}  ${String(h.replicas.rooms).padStart(5)}  ${String(h.replicas.presence).padStart(8)}  ${h.bottleneck.resource} ${f(h.bottleneck.utilization * 100)} %`,
  );
}
const t = day.totals;
console.log(`\nday: ${f(t.deliveries)} deliveries, ${f(t.chatMessages)} chat messages (${f(t.chatBytes / 1024 ** 3, 1)} GiB in Postgres), ${f(t.storedEvents)} stored events, ${f(t.sessions)} sessions`);
console.log(`peak replicas: ${Object.entries(t.peakReplicas).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`worst hour ${t.worst.hour}: ${t.worst.resource} at ${f(t.worst.utilization * 100)} %${t.worst.utilization > 1 ? ' — SATURATED: see docs/capacity.md for the design change' : ''}`);
