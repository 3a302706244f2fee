// Switchboard's capacity model (docs/capacity.md): unit costs measured by `npm run bench`
// (docs/benchmarks.md, 2-core machine), a traffic mix, and the arithmetic that turns them into
// replicas, cores and the first thing that saturates. Plain ESM, no dependencies; the simulation
// (scripts/capacity-sim.mjs) replays a synthetic day through it.

/**
 * CPU milliseconds per unit of work, by process, and memory per connection. `source` says which
 * benchmark row (docs/benchmarks.md) each number is divided out of; `estimate` marks the few that
 * no benchmark isolates yet.
 */
export const UNIT_COSTS = Object.freeze({
  // Idle capacity: 605 conn/s with gateway 52 %, redis 51 %, presence 14 %, nats 9 %, media 8 %.
  connect: { gateway: 0.86, redis: 0.84, presence: 0.23, nats: 0.15, media: 0.13, source: 'idle capacity, full run' },
  // Join storm minus its connects: 146 joins/s, rooms 35 %, redis 24 %, gateways 28 %, presence 7 %, nats 6 %, postgres 4 %.
  join: { rooms: 2.4, redis: 0.8, gateway: 1.0, presence: 0.25, nats: 0.26, postgres: 0.27, source: 'join storm, full run, minus connect' },
  // Broadcast fan-out, per published message (10 rooms of 100: rooms 29 % at 319 msg/s; nats 9 %; redis 2 %).
  broadcast: { rooms: 0.91, nats: 0.28, redis: 0.06, source: 'fan-out broadcast 10×100' },
  // Chat, per persisted message (100 rooms of 10: rooms 71 % at 222 msg/s; nats 6 %; redis 2 %).
  chat: { rooms: 3.2, nats: 0.27, redis: 0.09, postgres: 0.3, source: 'fan-out chat 100×10; postgres: estimate' },
  // Every event a gateway writes to a socket (10 rooms of 100 and 1 of 1,000: 65 % / 31.6k and 47 % / 31.7k).
  delivery: { gateway: 0.018, source: 'fan-out broadcast 10×100 and 1×1000' },
  // Signaling relay after the nats.js fix: 1,999 relays/s, gateways 68 %; nats 20 %, redis 17 % (full run).
  signal: { gateway: 0.34, nats: 0.1, redis: 0.085, source: 'signaling relay re-run; nats/redis from the full run' },
  // Presence refresh: one ZADD XX per held connection per report (estimate: ~2 µs of Redis each).
  presenceRefreshPerConnection: { redis: 0.002, source: 'estimate' },
  /** Gateway RSS per idle authenticated connection (KiB) and per process at start (MiB). */
  gatewayKiBPerConnection: 13.9,
  gatewayBaseMiB: 124,
  /** Redis memory per live connection: presence record, deadline entry, user/node sets, seat (estimate). */
  redisBytesPerConnection: 1200,
  /** Stored size of one chat message row with its indexes (estimate). */
  postgresBytesPerMessage: 600,
});

/** What one replica or server may carry before it counts as saturated. */
export const LIMITS = Object.freeze({
  /** A Node process uses one core for JavaScript: plan each replica at 60 % of it. */
  replicaCpu: 0.6,
  /** Gateway connections per replica: memory (2 GiB pod) and file descriptors, with headroom. */
  gatewayConnections: 50_000,
  /** Redis is single-threaded: one master at 60 % of a core. */
  redisMasterCpu: 0.6,
  /**
   * Stored events/s one JetStream stream leader takes with R3 on file storage: 9,097/s measured by
   * bench/stream-leader.mjs (3 nodes sharing this 2-core box; R1: 26,397/s; 3 streams R3: 13,123/s).
   */
  streamLeaderEventsPerSec: 9_000,
  /** Inserts/s one Postgres primary takes for the chat table with headroom (estimate for 8 cores). */
  postgresInsertsPerSec: 8_000,
  /** Fewest Redis Cluster masters planned (each with one replica). */
  redisMasters: 3,
});

/**
 * The traffic mix: share of connections by room size, and per connection per minute at the
 * peak hour: chat messages sent, broadcasts, signals; sessions last `sessionMinutes` on average
 * (each session is one connect + one join + one leave).
 * @typedef {{ rooms: { size: number, share: number, chatPerMin: number, broadcastPerMin: number, signalsPerMin: number }[], sessionMinutes: number }} Mix
 * @type {Readonly<Mix>}
 */
export const DEFAULT_MIX = Object.freeze({
  rooms: [
    { size: 2, share: 0.4, chatPerMin: 0.1, broadcastPerMin: 0.5, signalsPerMin: 0.67 },
    { size: 10, share: 0.35, chatPerMin: 0.1, broadcastPerMin: 0.5, signalsPerMin: 2 },
    { size: 100, share: 0.2, chatPerMin: 0.02, broadcastPerMin: 0.05, signalsPerMin: 0 },
    { size: 1000, share: 0.05, chatPerMin: 0.002, broadcastPerMin: 0.005, signalsPerMin: 0 },
  ],
  sessionMinutes: 30,
});

/**
 * Rates per second for `connections` concurrent connections under `mix`.
 * @param {number} connections @param {Mix} [mix]
 */
export function rates(connections, mix = DEFAULT_MIX) {
  const r = { connections, connects: 0, joins: 0, chat: 0, broadcasts: 0, signals: 0, deliveries: 0, storedEvents: 0 };
  for (const room of mix.rooms) {
    const conns = connections * room.share;
    const chat = (conns * room.chatPerMin) / 60;
    const broadcasts = (conns * room.broadcastPerMin) / 60;
    r.chat += chat;
    r.broadcasts += broadcasts;
    r.signals += (conns * room.signalsPerMin) / 60;
    // Every room event reaches the other members; a join and a leave are room events too.
    const sessions = conns / (mix.sessionMinutes * 60);
    r.deliveries += (chat + broadcasts + 2 * sessions) * (room.size - 1);
  }
  r.connects = connections / (mix.sessionMinutes * 60);
  r.joins = r.connects;
  r.deliveries += r.signals;
  // Stored (seq) events: chat, joins and leaves; broadcasts are live-only unless a room opts in.
  r.storedEvents = r.chat + 2 * r.joins;
  return r;
}

const PROCESSES = ['gateway', 'rooms', 'presence', 'media', 'nats', 'redis', 'postgres'];

/** CPU cores each process kind needs at these rates. */
export function cores(r, costs = UNIT_COSTS) {
  const out = Object.fromEntries(PROCESSES.map((p) => [p, 0]));
  const add = (unit, perSec) => {
    for (const p of PROCESSES) out[p] += ((costs[unit][p] ?? 0) * perSec) / 1000;
  };
  add('connect', r.connects);
  add('join', r.joins);
  add('broadcast', r.broadcasts);
  add('chat', r.chat);
  add('delivery', r.deliveries);
  add('signal', r.signals);
  // Gateways report every held connection once per PRESENCE interval (10 s).
  out.redis += (costs.presenceRefreshPerConnection.redis * r.connections) / 10 / 1000;
  return out;
}

/**
 * Replicas, servers and the utilization of each single-leader resource at these rates.
 * `streams` is ROOM_EVENTS_STREAMS (docs/decisions/0032). Returns { rates, cores, replicas,
 * utilization, bottleneck } where bottleneck is the most utilized resource.
 * @typedef {{ mix?: Mix, costs?: typeof UNIT_COSTS, limits?: typeof LIMITS, streams?: number }} ProjectOptions
 * @param {number} connections @param {ProjectOptions} [options]
 */
export function project(connections, { mix = DEFAULT_MIX, costs = UNIT_COSTS, limits = LIMITS, streams = 1 } = {}) {
  const r = rates(connections, mix);
  const c = cores(r, costs);
  const gatewayMemMiB = costs.gatewayBaseMiB + (costs.gatewayKiBPerConnection * limits.gatewayConnections) / 1024;
  const replicas = {
    gateway: Math.max(2, Math.ceil(connections / limits.gatewayConnections), Math.ceil(c.gateway / limits.replicaCpu)),
    rooms: Math.max(2, Math.ceil(c.rooms / limits.replicaCpu)),
    presence: Math.max(2, Math.ceil(c.presence / limits.replicaCpu)),
    media: Math.max(2, Math.ceil(c.media / limits.replicaCpu)),
  };
  // Presence keys share one slot ({pr}, ADR 0031): presence's Redis work lands on one master. The
  // connect's Redis cost is counted as presence's (it is most of it: open + settle scripts).
  const presenceRedisShare = (costs.connect.redis * r.connects + (costs.presenceRefreshPerConnection.redis * r.connections) / 10) / 1000;
  const spreadRedis = Math.max(0, c.redis - presenceRedisShare);
  // Slots spread the rest (rooms, users, connections) evenly over as many masters as it needs.
  replicas.redisMasters = Math.max(limits.redisMasters, Math.ceil(spreadRedis / limits.redisMasterCpu) + 1);
  const utilization = {
    'redis {pr} master (presence slot)': (presenceRedisShare + spreadRedis / replicas.redisMasters) / limits.redisMasterCpu,
    'redis other masters': spreadRedis / replicas.redisMasters / limits.redisMasterCpu,
    'JetStream stream leader': r.storedEvents / streams / limits.streamLeaderEventsPerSec,
    'postgres primary (chat inserts)': r.chat / limits.postgresInsertsPerSec,
  };
  const [bottleneck] = Object.entries(utilization).sort((a, b) => b[1] - a[1]);
  return {
    rates: r,
    cores: c,
    replicas,
    gatewayMemMiB,
    redisMemoryGiB: (connections * costs.redisBytesPerConnection) / 1024 ** 3,
    chatBytesPerDayAtPeak: r.chat * 86400 * costs.postgresBytesPerMessage,
    utilization,
    bottleneck: { resource: bottleneck[0], utilization: bottleneck[1] },
  };
}

/** Share of the peak connections online in each hour of a day (UTC-agnostic; peak 1.0 at 20:00). */
export const DAY_CURVE = Object.freeze([0.35, 0.3, 0.27, 0.25, 0.25, 0.28, 0.35, 0.45, 0.55, 0.6, 0.62, 0.65, 0.68, 0.66, 0.64, 0.66, 0.7, 0.78, 0.88, 0.96, 1.0, 0.95, 0.75, 0.5]);

/**
 * Replays a synthetic day: each hour at `peakConnections × curve[h]`, through project().
 * Returns the hourly rows and the day's totals (events, persisted messages, bytes, peak replicas).
 * @param {number} peakConnections @param {ProjectOptions & { curve?: readonly number[] }} [options]
 */
export function simulateDay(peakConnections, { curve = DAY_CURVE, ...opts } = {}) {
  const hours = curve.map((f, hour) => ({ hour, ...project(Math.round(peakConnections * f), opts) }));
  const sum = (pick) => hours.reduce((s, h) => s + pick(h) * 3600, 0);
  const totals = {
    deliveries: sum((h) => h.rates.deliveries),
    chatMessages: sum((h) => h.rates.chat),
    storedEvents: sum((h) => h.rates.storedEvents),
    signals: sum((h) => h.rates.signals),
    sessions: sum((h) => h.rates.connects),
    chatBytes: sum((h) => h.rates.chat * (opts.costs ?? UNIT_COSTS).postgresBytesPerMessage),
    peakReplicas: Object.fromEntries(Object.keys(hours[0].replicas).map((k) => [k, Math.max(...hours.map((h) => h.replicas[k]))])),
    worst: hours.reduce((w, h) => (h.bottleneck.utilization > w.utilization ? { ...h.bottleneck, hour: h.hour } : w), { resource: '', utilization: 0, hour: 0 }),
  };
  return { hours, totals };
}
