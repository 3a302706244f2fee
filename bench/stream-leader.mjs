#!/usr/bin/env node
// How many room events per second one JetStream stream leader stores, R1 and R3, on a 3-node
// NATS cluster on loopback (scripts/lib/cluster.mjs): the number behind LIMITS.streamLeaderEventsPerSec
// in scripts/lib/capacity.mjs and "Choosing N" in docs/decisions/0032. Events are published the
// way rooms publishes them (core NATS, captured by the stream), 400 bytes each, into 1 or 3 streams.
// Run under the bench lock: flock /tmp/switchboard-bench.lock node bench/stream-leader.mjs
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsCluster } from '../scripts/lib/cluster.mjs';

const COUNT = Number(process.env.COUNT ?? 100_000);
const cluster = await startNatsCluster({
  config: (n) => JSON.stringify({ host: '127.0.0.1', port: n.port, server_name: n.serverName, cluster: { name: n.clusterName, host: '127.0.0.1', port: n.clusterPort, routes: n.routes.map((r) => `nats-route://${r}`) }, jetstream: { store_dir: n.storeDir } }),
});
const nc = await connect({ servers: cluster.urls.split(',') });
const jsm = await jetstreamManager(nc);
const payload = new Uint8Array(400);
const results = [];
try {
  for (const [replicas, streams] of [[1, 1], [3, 1], [3, 3]]) {
    const names = Array.from({ length: streams }, (_, i) => `BENCH_${replicas}_${streams}_${i}`);
    for (const [i, name] of names.entries()) await jsm.streams.add({ name, subjects: [`bench.${replicas}.${streams}.${i}.*`], num_replicas: replicas, storage: 'file' });
    const started = process.hrtime.bigint();
    for (let k = 0; k < COUNT; k++) {
      nc.publish(`bench.${replicas}.${streams}.${k % streams}.r${k % 1000}`, payload);
      if (k % 5000 === 0) await nc.flush();
    }
    await nc.flush();
    // Poll until everything is stored or the count stops moving (a leader that cannot keep up
    // drops core-published events: reported as lost). The API may answer slowly while it writes.
    let stored = 0;
    let last = -1;
    let stillSince = Date.now();
    let doneAt = process.hrtime.bigint();
    while (stored < COUNT && Date.now() - stillSince < 3000) {
      try {
        stored = (await Promise.all(names.map((n) => jsm.streams.info(n)))).reduce((s, i) => s + i.state.messages, 0);
      } catch {
        continue;
      }
      if (stored !== last) {
        last = stored;
        stillSince = Date.now();
        doneAt = process.hrtime.bigint();
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = Number(doneAt - started) / 1e9;
    results.push({ replicas, streams, eventsPerSec: Math.round(stored / seconds), seconds: seconds.toFixed(2), lost: COUNT - stored });
    for (const n of names) await jsm.streams.delete(n);
  }
} finally {
  await nc.close();
  await cluster.stop();
}
console.table(results);
