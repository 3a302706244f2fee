// Clustered infrastructure on loopback for `npm start -- --clustered` and the clustered test
// run (SB_TEST_CLUSTERED=1): a 3-node NATS cluster (routes between all nodes, JetStream on each)
// and a Redis Cluster of 3 masters + 3 replicas made by `redis-cli --cluster create`.
// Every node is a child process of the caller, killable one by one (the failure tests SIGKILL
// them). Plain ESM, node built-ins only.

import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, HOST, waitForPort } from './infra.mjs';

/** Spawns a server with its output in `logFile`; returns the child. */
function spawnNode(binary, args, logFile) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.on('error', (err) => fs.appendFileSync(logFile, `\nspawn failed: ${err.message}\n`));
  return child;
}

/** Resolves once the child has exited (at once when it already has). */
export function exited(child) {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', () => resolve(undefined))));
}

/**
 * Sends `signal` to every child still running and waits for each to exit, SIGKILLing one that
 * has not after `forceAfterMs`.
 * @param {import('node:child_process').ChildProcess[]} children
 * @param {NodeJS.Signals} [signal] @param {number} [forceAfterMs]
 */
export async function stopChildren(children, signal = 'SIGTERM', forceAfterMs = 5000) {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const force = setTimeout(() => c.kill('SIGKILL'), forceAfterMs);
      c.kill(signal);
      await exited(c);
      clearTimeout(force);
    }),
  );
}

/**
 * Starts every node, waits for their ports and for `ready()`, and returns stop() (SIGTERM, then
 * the directory goes); when anything fails, every node is killed and the error rethrown.
 */
async function launch(nodes, dir, readyTimeoutMs, ready) {
  for (const n of nodes) n.start();
  try {
    await Promise.all(nodes.map((n) => waitForPort(n.port, readyTimeoutMs)));
    await ready();
  } catch (err) {
    await stopChildren(nodes.map((n) => n.child), 'SIGKILL');
    throw err;
  }
  return async () => {
    await stopChildren(nodes.map((n) => n.child));
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * Starts `size` nats-server nodes forming one cluster. `config({ serverName, port, clusterPort,
 * routes, storeDir })` returns a node's nats-server configuration (the caller adds its users and
 * permissions, see natsServerConfig in packages/platform). Resolves when every node listens and
 * JetStream has a meta leader (a stream can then be created with 3 replicas).
 * Returns `{ urls, nodes: [{ name, port, clusterPort, child, start() }], dir, logFile, stop() }`.
 * @param {{ size?: number, config: (node: { serverName: string, port: number, clusterPort: number, routes: string[], storeDir: string, clusterName: string }) => string,
 *   dir?: string, name?: string, ports?: { client: number[], cluster: number[] }, readyTimeoutMs?: number }} options
 */
export async function startNatsCluster({ size = 3, config, dir, name = 'sb', ports, readyTimeoutMs = 30_000 }) {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sb-nats-cluster-'));
  fs.mkdirSync(dir, { recursive: true });
  const clientPorts = ports?.client ?? (await Promise.all(Array.from({ length: size }, () => freePort())));
  const clusterPorts = ports?.cluster ?? (await Promise.all(Array.from({ length: size }, () => freePort())));
  const routes = clusterPorts.map((p) => `${HOST}:${p}`);
  const logFile = path.join(dir, 'nats.log');
  const nodes = clientPorts.map((port, i) => {
    const serverName = `${name}-n${i + 1}`;
    const storeDir = path.join(dir, serverName);
    fs.mkdirSync(storeDir, { recursive: true });
    const configFile = path.join(dir, `${serverName}.conf`);
    fs.writeFileSync(configFile, config({ serverName, port, clusterPort: clusterPorts[i], routes, storeDir, clusterName: name }), { mode: 0o600 });
    // One log for all nodes (nats-server appends; each line carries its pid): the tests scan it
    // for permission violations the way they scan a single server's.
    const node = { name: serverName, port, clusterPort: clusterPorts[i], logFile, configFile, child: undefined };
    node.start = () => (node.child = spawnNode('nats-server', ['-c', configFile, '-l', logFile], logFile));
    return node;
  });
  // The nodes' log says when the JetStream meta group has a leader, which is what stream
  // creation with 3 replicas needs.
  const stop = await launch(nodes, dir, readyTimeoutMs, async () => {
    const deadline = Date.now() + readyTimeoutMs;
    while (!/JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/.test(readText(logFile))) {
      if (Date.now() > deadline) throw new Error(`NATS cluster has no JetStream meta leader after ${readyTimeoutMs} ms (logs in ${dir})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  return { urls: nodes.map((n) => `nats://${HOST}:${n.port}`).join(','), nodes, dir, logFile, stop };
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * `redis-cli -p <port> <args…>`, bounded. Asynchronous: the failure tests run the services in
 * the same process, and a synchronous child would freeze their event loop while it waits.
 */
export function redisCli(port, args, timeoutMs = 10_000) {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', HOST, '-p', String(port), ...args], { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      const out = `${stdout ?? ''}${stderr ?? ''}`.trim();
      resolve({ ok: !err && !/^(ERR|\[ERR\]|Could not connect)/m.test(out), out });
    });
  });
}

/**
 * Starts a Redis Cluster of `masters` masters, each with `replicasPerMaster` replicas, with
 * `redis-cli --cluster create`, and waits until every node reports `cluster_state:ok`.
 * `nodeTimeoutMs` is the cluster-node-timeout: how long a master may be silent before its
 * replica is promoted. Returns `{ url: 'redis+cluster://host:port,…', nodes, dir, stop() }`.
 * @param {{ masters?: number, replicasPerMaster?: number, dir?: string, nodeTimeoutMs?: number, ports?: number[], readyTimeoutMs?: number }} [options]
 */
export async function startRedisCluster({ masters = 3, replicasPerMaster = 1, dir, nodeTimeoutMs = 2000, ports, readyTimeoutMs = 30_000 } = {}) {
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sb-redis-cluster-'));
  fs.mkdirSync(dir, { recursive: true });
  const count = masters * (1 + replicasPerMaster);
  const nodePorts = ports ?? (await Promise.all(Array.from({ length: count }, () => freePort())));
  const nodes = nodePorts.map((port) => {
    const nodeDir = path.join(dir, String(port));
    fs.mkdirSync(nodeDir, { recursive: true });
    const logFile = path.join(nodeDir, 'redis.log');
    const node = { port, logFile, child: undefined };
    node.start = () =>
      (node.child = spawnNode(
        'redis-server',
        ['--port', String(port), '--bind', HOST, '--dir', nodeDir, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
          // Replicas take their first full copy at once: by default a diskless sync waits 5 s for
          // more replicas to join, and a replica that never synced refuses to be promoted (its
          // data is older than cluster-replica-validity-factor allows), so a master lost in the
          // first seconds would leave its slots down for good (docs/decisions/0047).
          '--repl-diskless-sync-delay', '0'],
        logFile,
      ));
    return node;
  });
  const stop = await launch(nodes, dir, readyTimeoutMs, async () => {
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
      { encoding: 'utf8', timeout: readyTimeoutMs },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${(create.stdout + create.stderr).slice(-1500)}`);
    await waitRedisCluster(nodes.map((n) => n.port), readyTimeoutMs);
  });
  return { url: `redis+cluster://${nodes.map((n) => `${HOST}:${n.port}`).join(',')}`, nodes, dir, stop };
}

/**
 * Waits until every node in `ports` says `cluster_state:ok` and sees all 16384 slots, and every
 * replica's link to its master is up (a replica that never synced cannot take over).
 */
export async function waitRedisCluster(ports, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(ports.map(async (p) => `${(await redisCli(p, ['cluster', 'info'], 2000)).out}\n${(await redisCli(p, ['info', 'replication'], 2000)).out}`));
    const ready = (s) => /cluster_state:ok/.test(s) && /cluster_slots_ok:16384/.test(s) && (/role:master/.test(s) || /master_link_status:up/.test(s));
    if (states.every(ready)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster not ok after ${timeoutMs} ms: ${states.map((s) => s.split('\n')[0]).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every slot range as `{ from, to, master, replicas }` (ports) in one node's `cluster slots` view, or undefined. */
export async function redisSlotsOf(port) {
  const r = await redisCli(port, ['--json', 'cluster', 'slots'], 2000);
  if (!r.ok) return undefined;
  try {
    return JSON.parse(r.out).map(([from, to, [, master], ...replicas]) => ({ from, to, master: Number(master), replicas: replicas.map(([, p]) => Number(p)) }));
  } catch {
    return undefined;
  }
}

/** The node serving `slot` as master in the view of the first node of `ports` that answers. */
export async function redisMasterOf(ports, slot) {
  for (const p of ports) {
    const ranges = await redisSlotsOf(p);
    const range = ranges?.find((r) => slot >= r.from && slot <= r.to);
    if (range) return range.master;
  }
  return undefined;
}

/**
 * Resolves once every node in `ports` has the replica(s) of `masterPort` caught up with it
 * (`INFO replication`: each replica's acknowledged offset has reached the master's offset read
 * first), i.e. every write the master acknowledged before this call is on its replicas.
 */
export async function redisReplicasCaughtUp(masterPort, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let target;
  for (;;) {
    const info = (await redisCli(masterPort, ['info', 'replication'], 2000)).out;
    const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
    target ??= Number.isFinite(offset) ? offset : undefined;
    const acked = [...info.matchAll(/slave\d+:.*?state=online,offset=(\d+)/g)].map((m) => Number(m[1]));
    if (target !== undefined && acked.length && acked.every((o) => o >= target)) return;
    if (Date.now() > deadline) throw new Error(`replicas of :${masterPort} did not catch up in ${timeoutMs} ms: ${info.replace(/\s+/g, ' ').slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
