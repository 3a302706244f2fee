#!/usr/bin/env node
// The load generator: runs in its own process (forked by bench/run.mjs), drives one scenario
// against one target, and reports over IPC: {type:'mark', phase:'start'|'end', label} around
// each measured window (the orchestrator samples server CPU/RSS between them), {type:'kill'}
// when the reconnect storm needs a gateway killed, and finally {type:'result', rows}. Each row
// carries the load generator's own CPU% for its window, so one can see it is not the bottleneck.
import { readFileSync } from 'node:fs';
import { Histogram } from './lib/stats.mjs';
import { CentConn, PeerConn, SbConn, SioConn, mintToken } from './lib/clients.mjs';
import { rssBytes, selfCpuMeter } from './lib/proc.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (m) => process.stderr.write(`  [loadgen] ${m}\n`);

/** @typedef {import('./lib/messages.mjs').LoadgenMessage} LoadgenMessage */
/** @typedef {import('./lib/messages.mjs').Ack} Ack */

/** @type {import('./lib/messages.mjs').LoadgenConfig} */
let cfg;
const cpu = selfCpuMeter();
/** @param {LoadgenMessage} m */
const send = (m) => process.send(m);
/** @type {((ack: Ack) => void) | null} */
let pendingAck = null;
process.on('message', (/** @type {Ack} */ m) => {
  if (m.type === 'ack' && pendingAck) {
    pendingAck(m);
    pendingAck = null;
  }
});
/** @param {LoadgenMessage} m @returns {Promise<Ack>} */
const askParent = (m) =>
  new Promise((resolve) => {
    pendingAck = resolve;
    send(m);
  });

/** Opens a measured window: the orchestrator starts sampling server processes. */
async function windowStart(label) {
  await askParent({ type: 'mark', phase: 'start', label });
  cpu.reset();
}
async function windowEnd(label) {
  const loadgenCpu = cpu.read();
  await askParent({ type: 'mark', phase: 'end', label });
  return loadgenCpu;
}

// ---------------------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------------------

let userSeq = 0;
let chatSeq = 0;
let addrSeq = 0;
/**
 * Source addresses rotate over 127.0.0.1–8: one source address has ~28k ephemeral ports
 * (ip_local_port_range) per server port, fewer than the idle scenario's connections.
 */
const nextLocalAddress = () => `127.0.0.${1 + (addrSeq++ % 8)}`;
const CONN_CLASS = { switchboard: SbConn, socketio: SioConn, centrifugo: CentConn };
/** Opens one authenticated connection of the target's protocol. */
const openConn = (url, token, userId) => CONN_CLASS[cfg.target].connect(url, token, { userId, localAddress: nextLocalAddress() });

/** @param {number} urlIndex @param {{ userId?: string }} [options] */
async function connect(urlIndex, { userId } = {}) {
  const url = cfg.urls[urlIndex % cfg.urls.length];
  userId ??= `u${process.pid}_${userSeq++}`;
  if (cfg.target === 'peerjs') return PeerConn.connect(url, userId);
  const token = await mintToken(cfg.jwtSecret, userId);
  const c = await openConn(url, token, userId);
  c.userId ??= userId;
  c.token = token;
  c.urlIndex = urlIndex;
  return c;
}

/** Runs fn(i) for i < n with at most `limit` in flight; collects values and error count. */
async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  let errors = 0;
  const codes = {};
  await Promise.all(
    Array.from({ length: Math.min(n, limit) }, async () => {
      while (next < n) {
        const i = next++;
        try {
          out[i] = await fn(i);
        } catch (err) {
          errors++;
          const code = err.code ?? err.message?.slice(0, 40) ?? 'error';
          codes[code] = (codes[code] ?? 0) + 1;
        }
      }
    }),
  );
  return { out, errors, codes };
}

const connErrors = (conns) => conns.reduce((s, c) => s + (c?.errors ?? 0), 0);
const connErrorCodes = (conns) => {
  const out = {};
  for (const c of conns) for (const [k, v] of Object.entries(c?.errorCodes ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
};
const fmtCodes = (codes) => Object.entries(codes).map(([k, v]) => `${k}×${v}`).join(', ');
const closeAll = (conns) => Promise.all(conns.filter(Boolean).map((c) => c.close().catch(() => undefined)));

/** Every room of a scenario's set-up, or an error saying how many could not be created (the scenario cannot run). */
async function createRooms(owners, maxParticipants) {
  const r = await pool(owners.length, 20, (i) => createRoom(owners[i], maxParticipants));
  if (r.errors || r.out.length !== owners.length) throw new Error(`set-up: ${r.errors} of ${owners.length} rooms could not be created (${fmtCodes(r.codes)})`);
  return r.out;
}

async function createRoom(owner, maxParticipants) {
  const r = await owner.request('room.create', { name: `bench-${Math.random().toString(36).slice(2, 8)}`, kind: 'group', joinPolicy: 'open', maxParticipants });
  return r.room.id;
}

// ---------------------------------------------------------------------------------------------
// Open-loop rate stepping: offer `rate` messages/s for stepMs, measure delivery latency, double
// the rate until the latency bound or delivery ratio fails. Returns every step.
// ---------------------------------------------------------------------------------------------

async function rateSteps({ label, startRate, fixedRate, fixedMs, maxSteps, stepMs, p99BoundMs, sendOne, state }) {
  const steps = [];
  let retried = false;
  // Warm-up (JIT, connection buffers, NATS interest): half the first rate for 500 ms, not measured.
  {
    const t0 = now();
    let sent = 0;
    let expected = 0;
    while (now() - t0 < 500) {
      const due = Math.floor((startRate * (now() - t0)) / 2000) - sent;
      for (let i = 0; i < due; i++) expected += sendOne(sent++);
      await sleep(2);
    }
    const until = now() + 1000;
    while (state.delivered < expected && now() < until) await sleep(5);
  }
  /** Offers `rate` messages/s for `ms`, waits for the stragglers; one measured window. */
  const measure = async (stepLabel, rate, ms, { settle = false } = {}) => {
    state.hist = new Histogram();
    state.delivered = 0;
    state.lastAt = undefined;
    const errors0 = state.errors();
    const codes0 = state.codes?.() ?? {};
    await windowStart(stepLabel);
    const t0 = now();
    let sent = 0;
    let expected = 0; // sendOne returns how many deliveries its message should make
    while (now() - t0 < ms) {
      const due = Math.floor((rate * (now() - t0)) / 1000) - sent;
      for (let i = 0; i < due; i++) expected += sendOne(sent++);
      await sleep(2);
    }
    const sendMs = now() - t0;
    const perMessage = sent ? expected / sent : 0;
    // A refused send (error reply) makes no deliveries. The fixed window waits until every send
    // has an outcome — delivered or refused (the gateway answers within REQUEST_TIMEOUT_MS) —
    // so that "lost" means accepted and never delivered.
    const refused = () => (state.errors() - errors0) * perMessage;
    const drainUntil = now() + (settle ? 15_000 : Math.max(2000, p99BoundMs * 20));
    while (state.delivered + (settle ? refused() : 0) < expected && now() < drainUntil) await sleep(5);
    const loadgenCpu = await windowEnd(stepLabel);
    // Rate over the time the deliveries took: from the first send to the last delivery (at least the send window).
    const elapsed = Math.max(sendMs, (state.lastAt ?? t0) - t0);
    const summary = state.hist.summary();
    const codes = Object.fromEntries(
      Object.entries(state.codes?.() ?? {})
        .map(([k, v]) => /** @type {[string, number]} */ ([k, v - (codes0[k] ?? 0)]))
        .filter(([, v]) => v > 0),
    );
    return {
      window: stepLabel,
      codes: fmtCodes(codes),
      offered: Math.round(rate * perMessage),
      messagesPerSec: (sent / sendMs) * 1000,
      throughput: (state.delivered / elapsed) * 1000,
      delivered: state.delivered,
      expected,
      lost: Math.max(0, Math.round(expected - state.delivered - refused())),
      refused: state.errors() - errors0,
      errors: state.errors() - errors0 + Math.max(0, expected - state.delivered),
      hist: state.hist.toJSON(),
      ...summary,
      loadgenCpu,
    };
  };
  // The fixed offered load (below both targets' saturation) whose server CPU per delivered event
  // is the steady measure; the step search after it is the noisy one.
  const fixed = fixedRate ? await measure(`${label} fixed @${fixedRate}/s`, fixedRate, fixedMs, { settle: true }) : undefined;
  if (fixed) log(`${fixed.window}: ${fixed.delivered}/${fixed.expected} delivered, p99 ${fixed.p99.toFixed(2)} ms, refused ${fixed.refused}${fixed.codes ? ` (${fixed.codes})` : ''}, lost ${fixed.lost}`);
  let rate = startRate;
  for (let s = 0; s < maxSteps + 2; s++) {
    if (steps.filter((x) => x.p99 <= p99BoundMs && x.lost === 0 && x.errors === 0).length >= maxSteps) break;
    const step = await measure(`${label} @${rate}/s`, rate, stepMs);
    steps.push(step);
    const ok = step.p99 <= p99BoundMs && step.lost === 0 && step.errors === 0;
    log(`${step.window}: ${step.throughput.toFixed(0)} deliveries/s p50 ${step.p50.toFixed(2)} p99 ${step.p99.toFixed(2)} ms lost ${step.lost} errors ${step.errors}${step.codes ? ` (${step.codes})` : ''} loadgen ${step.loadgenCpu.toFixed(0)}%${ok ? '' : retried ? '  ← bound exceeded again: stop' : '  ← bound exceeded: retrying this rate once'}`);
    await sleep(300);
    if (ok) {
      rate *= 2;
      retried = false;
    } else if (retried) break;
    else retried = true; // one noisy step (GC pause, a neighbour's burst) should not end the search
  }
  const passing = steps.filter((s) => s.p99 <= p99BoundMs && s.lost === 0 && s.errors === 0);
  const best = passing.length ? passing.reduce((a, b) => (b.throughput > a.throughput ? b : a)) : steps[0];
  return { best, steps, withinBound: passing.length > 0, fixed };
}

// ---------------------------------------------------------------------------------------------
// Scenario 1: idle capacity (one gateway)
// ---------------------------------------------------------------------------------------------

async function idle() {
  const { maxConns, step, memBoundBytes, pingP99BoundMs, connectP99BoundMs } = cfg.params;
  const gw = cfg.pids[cfg.idlePidName];
  const conns = [];
  const hist = new Histogram();
  let errors = 0;
  let stopReason = `reached ${maxConns}, the configured maximum (each process here may open at most ${maxFds()} files)`;
  const rss0 = rssBytes(gw);
  await windowStart('idle');
  const t0 = now();
  let lastPing = null;
  while (conns.length < maxConns) {
    const n = Math.min(step, maxConns - conns.length);
    const r = await pool(n, 100, async () => {
      const s = now();
      const c = await connect(0);
      hist.record(now() - s);
      return c;
    });
    errors += r.errors;
    conns.push(...r.out.filter(Boolean));
    const sample = Array.from({ length: Math.min(50, conns.length) }, () => conns[Math.floor(Math.random() * conns.length)]);
    const ph = new Histogram();
    await Promise.all(
      sample.map(async (c) => {
        const s = now();
        try {
          await c.request('ping', {});
          ph.record(now() - s);
        } catch {
          errors++;
        }
      }),
    );
    lastPing = ph.summary();
    const rss = rssBytes(gw);
    log(`idle: ${conns.length} connections, gateway RSS ${(rss / 2 ** 20).toFixed(0)} MiB, ping p99 ${lastPing.p99.toFixed(1)} ms, connect p99 ${hist.quantile(0.99).toFixed(1)} ms`);
    if (rss > memBoundBytes) {
      stopReason = `gateway RSS over ${(memBoundBytes / 2 ** 20).toFixed(0)} MiB`;
      break;
    }
    if (lastPing.p99 > pingP99BoundMs) {
      stopReason = `ping p99 over ${pingP99BoundMs} ms`;
      break;
    }
    if (hist.quantile(0.99) > connectP99BoundMs) {
      stopReason = `connect p99 over ${connectP99BoundMs} ms`;
      break;
    }
    if (r.errors > n * 0.01) {
      stopReason = `connect errors (${Object.entries(r.codes).map(([k, v]) => `${k}×${v}`).join(', ')})`;
      break;
    }
  }
  const rampMs = now() - t0;
  await sleep(1500); // let the gateway settle (GC) before reading its memory
  const rss1 = rssBytes(gw);
  const loadgenCpu = await windowEnd('idle');
  const held = conns.filter((c) => !c.closed).length;
  await closeAll(conns);
  return [
    {
      scenario: 'idle capacity (1 gateway)',
      window: 'idle',
      throughput: (held / rampMs) * 1000,
      unit: 'conn/s',
      ...hist.summary(),
      latencyOf: 'connect → hello',
      errors,
      loadgenCpu,
      notes: `${held} connections held; ${((rss1 - rss0) / Math.max(1, held) / 1024).toFixed(1)} KiB gateway RSS per connection (${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MiB); ping p99 ${lastPing?.p99.toFixed(1)} ms at the end; stopped: ${stopReason}`,
      held,
      bytesPerConn: (rss1 - rss0) / Math.max(1, held),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Scenario 2: signaling relay between pairs on different replicas
// ---------------------------------------------------------------------------------------------

const OFFER_SDP = 'v=0 '.padEnd(2000, 'a=candidate-and-codec-lines ');
const ICE = 'candidate:1 1 udp 2122260223 192.168.1.10 54321 typ host generation 0 ufrag abcd network-id 1';

async function relay() {
  const { pairs, startRate, maxSteps, stepMs, p99BoundMs } = cfg.params;
  const state = { hist: new Histogram(), delivered: 0 };
  const r = await pool(pairs, 20, async (i) => {
    const a = await connect(0, { userId: `a${i}_${process.pid}` });
    const b = await connect(1, { userId: `b${i}_${process.pid}` });
    let roomId;
    if (cfg.target === 'centrifugo') await Promise.all([a, b].map((c) => c.request('personal.subscribe', {})));
    else if (cfg.target !== 'peerjs') {
      const created = await a.request('room.create', { name: `pair-${i}`, kind: 'p2p', joinPolicy: 'open', maxParticipants: 2 });
      roomId = created.room.id;
      await b.request('room.join', { roomId });
    }
    for (const c of [a, b])
      c.onEvent = (type, f) => {
        if (type !== 'signal') return;
        const t = now();
        state.hist.record(t - f.data.payload.t);
        state.delivered++;
        state.lastAt = t;
      };
    return { a, b, roomId };
  });
  const ps = r.out.filter(Boolean);
  if (!ps.length) throw new Error(`no pair could be set up (${JSON.stringify(r.codes)})`);
  const conns = ps.flatMap((p) => [p.a, p.b]);
  state.errors = () => connErrors(conns) + r.errors;
  state.codes = () => connErrorCodes(conns);
  // One burst per pair: offer a→b, answer b→a, then 4 ICE candidates each way (10 signals).
  const pattern = [
    ['a', 'offer'],
    ['b', 'answer'],
    ['a', 'ice'],
    ['b', 'ice'],
    ['a', 'ice'],
    ['b', 'ice'],
    ['a', 'ice'],
    ['b', 'ice'],
    ['a', 'ice'],
    ['b', 'ice'],
  ];
  const sendOne = (k) => {
    const p = ps[Math.floor(k / pattern.length) % ps.length];
    const [side, kind] = pattern[k % pattern.length];
    const from = side === 'a' ? p.a : p.b;
    const to = side === 'a' ? p.b : p.a;
    const payload = kind === 'ice' ? { t: now(), candidate: ICE, sdpMid: '0', sdpMLineIndex: 0 } : { t: now(), type: kind, sdp: OFFER_SDP };
    from.fire('signal', { to: to.id, roomId: p.roomId, kind, payload });
    return 1;
  };
  const res = await rateSteps({ label: 'relay', startRate, fixedRate: cfg.params.fixedRate, fixedMs: cfg.params.fixedMs, maxSteps, stepMs, p99BoundMs, sendOne, state });
  await closeAll(conns);
  return [
    rateStepRow(res, p99BoundMs, {
      scenario: `signaling relay (${ps.length} pairs, ${cfg.target === 'peerjs' ? 'one process' : 'cross-replica'})`,
      key: 'relay',
      unit: 'relays/s',
      bound: 'and no loss',
      stepsLabel: 'steps',
      step: (st) => `${st.throughput.toFixed(0)}/s p99 ${st.p99.toFixed(1)}${st.lost ? ` lost ${st.lost}` : ''}${st.codes ? ` error replies: ${st.codes}` : ''}`,
      join: ', ',
    }),
  ];
}

/** One result row for a stepped-rate scenario: the best step's numbers plus every step in the notes. */
function rateStepRow(res, p99BoundMs, { scenario, key, unit, bound, stepsLabel, step, join }) {
  const b = res.best;
  const verdict = res.withinBound ? `highest step with p99 ≤ ${p99BoundMs} ms${bound ? ` ${bound}` : ''}` : `no step met p99 ≤ ${p99BoundMs} ms; first step shown`;
  return {
    scenario,
    key,
    saturated: res.steps.length > passingCount(res, p99BoundMs),
    window: b.window,
    throughput: b.throughput,
    unit,
    p50: b.p50,
    p95: b.p95,
    p99: b.p99,
    errors: b.errors,
    loadgenCpu: b.loadgenCpu,
    withinBound: res.withinBound,
    notes: `${verdict}; ${stepsLabel}: ${res.steps.map(step).join(join)}`,
    steps: res.steps.map(({ hist: _h, ...st }) => st),
    fixed: res.fixed && (({ hist: _h, ...st }) => st)(res.fixed),
  };
}

// ---------------------------------------------------------------------------------------------
// Scenario 3: room fan-out (broadcast and chat)
// ---------------------------------------------------------------------------------------------

async function fanout() {
  const { sizes, memberBudget, sendersPerRoom, startDeliveries, maxSteps, stepMs, p99BoundMs } = cfg.params;
  const rows = [];
  for (const size of sizes) {
    const roomCount = Math.max(1, Math.floor(memberBudget / size));
    log(`fan-out: setting up ${roomCount} room(s) of ${size}`);
    const conns = [];
    const rooms = [];
    const setup = now();
    let setupErrors = 0;
    for (let r = 0; r < roomCount; r++) {
      const owner = await connect(0);
      const roomId = await createRoom(owner, size + 1);
      const members = [owner];
      const j = await pool(size - 1, 50, async (i) => {
        const c = await connect(i + 1);
        await c.request('room.join', { roomId });
        return c;
      });
      setupErrors += j.errors;
      members.push(...j.out.filter(Boolean));
      rooms.push({ roomId, members, senders: members.slice(0, Math.min(sendersPerRoom, members.length)) });
      conns.push(...members);
    }
    log(`fan-out: ${conns.length} members joined in ${((now() - setup) / 1000).toFixed(1)} s (${setupErrors} errors)`);
    await sleep(500); // let join events settle
    for (const mode of ['broadcast', 'chat']) {
      const state = { hist: new Histogram(), delivered: 0 };
      let available = true;
      try {
        const probe = rooms[0].senders[0];
        if (mode === 'broadcast') await probe.request('room.broadcast', { roomId: rooms[0].roomId, data: { t: now(), probe: true } });
        else await probe.request('chat.send', { roomId: rooms[0].roomId, text: String(now()), clientMsgId: `probe-${Math.random()}` });
      } catch (err) {
        if (['unavailable', 'bad_request', 'not_found'].includes(err.code)) available = false;
        else throw err;
      }
      if (!available) {
        rows.push({ scenario: `fan-out ${mode}, rooms of ${size}`, na: 'n/a (not built)' });
        continue;
      }
      await sleep(300);
      const me = new Map(conns.map((c) => [c, c.userId]));
      for (const c of conns) {
        const myUser = me.get(c);
        c.onEvent =
          mode === 'broadcast'
            ? (type, f) => {
                if (type !== 'room.broadcast' || f.data.data?.probe) return;
                const t = now();
                state.hist.record(t - f.data.data.t);
                state.delivered++;
                state.lastAt = t;
              }
            : (type, f) => {
                if (type !== 'chat.message') return;
                const m = f.data.message;
                if (m.userId === myUser || m.clientMsgId.startsWith('probe')) return;
                const t = now();
                state.hist.record(t - Number(m.text));
                state.delivered++;
                state.lastAt = t;
              };
      }
      state.errors = () => connErrors(conns) + setupErrors;
      state.codes = () => connErrorCodes(conns);
      // Deliveries per message: the room's members that did join, less the sender.
      const allSenders = rooms.flatMap((r) => r.senders.map((s) => ({ s, roomId: r.roomId, others: r.members.length - 1 })));
      const sendOne =
        mode === 'broadcast'
          ? (k) => {
              const { s, roomId, others } = allSenders[k % allSenders.length];
              s.fire('room.broadcast', { roomId, data: { t: now(), k, text: 'hello everyone in this room' } });
              return others;
            }
          : (k) => {
              const { s, roomId, others } = allSenders[k % allSenders.length];
              s.fire('chat.send', { roomId, text: String(now()), clientMsgId: `${s.userId}-${chatSeq++}` }); // unique: chat.send is idempotent per clientMsgId
              return others;
            };
      const startRate = Math.max(1, Math.round(startDeliveries / (size - 1)));
      const fixedRate = Math.max(1, Math.round(cfg.params.fixedDeliveries / (size - 1)));
      const res = await rateSteps({ label: `fanout ${mode} ${size}`, startRate, fixedRate, fixedMs: cfg.params.fixedMs, maxSteps, stepMs, p99BoundMs, sendOne, state });
      rows.push(
        rateStepRow(res, p99BoundMs, {
          scenario: `fan-out ${mode}, ${roomCount} room(s) of ${size}`,
          key: `fan-out ${mode} ${size}`,
          unit: 'deliveries/s',
          bound: '',
          stepsLabel: 'steps (msg/s → deliveries/s, p99)',
          step: (st) => `${st.messagesPerSec.toFixed(0)} → ${st.throughput.toFixed(0)}, ${st.p99.toFixed(1)} ms${st.lost ? `, lost ${st.lost}` : ''}${st.codes ? `, error replies: ${st.codes}` : ''}`,
          join: '; ',
        }),
      );
      for (const c of conns) c.onEvent = () => {};
      await sleep(500);
    }
    // Leave before closing, as an app would: a bare close leaves every seat to the disconnect
    // grace, and the removal sweeps of this size's members would land in the next size's measured
    // window (in rooms of 100 they were most of the rooms service's CPU there).
    const seats = rooms.flatMap((r) => r.members.map((c) => ({ c, roomId: r.roomId })));
    await pool(seats.length, 50, (i) => seats[i].c.request('room.leave', { roomId: seats[i].roomId }).catch(() => undefined));
    await closeAll(conns);
    await sleep(1000);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Scenario 4: join storm
// ---------------------------------------------------------------------------------------------

async function joinStorm() {
  const { clients, roomSize, concurrency } = cfg.params;
  const roomCount = Math.ceil(clients / (roomSize - 1));
  const owners = (await pool(roomCount, 20, (i) => connect(i))).out.filter(Boolean);
  const roomIds = await createRooms(owners, roomSize + 1);
  const tokens = await Promise.all(Array.from({ length: clients }, (_, i) => (cfg.target === 'peerjs' ? null : mintToken(cfg.jwtSecret, `j${i}_${process.pid}`))));
  const hist = new Histogram();
  const joinOnly = new Histogram();
  await windowStart('join');
  const t0 = now();
  const r = await pool(clients, concurrency, async (i) => {
    const s = now();
    const url = cfg.urls[i % cfg.urls.length];
    const c = await openConn(url, tokens[i], `j${i}_${process.pid}`);
    const j = now();
    await c.request('room.join', { roomId: roomIds[i % roomIds.length] });
    joinOnly.record(now() - j);
    hist.record(now() - s);
    return c;
  });
  const wall = now() - t0;
  const loadgenCpu = await windowEnd('join');
  await closeAll([...r.out, ...owners]);
  return [
    {
      scenario: `join storm (${clients} clients, rooms of ${roomSize})`,
      window: 'join',
      throughput: ((clients - r.errors) / wall) * 1000,
      unit: 'joins/s',
      ...hist.summary(),
      latencyOf: 'connect + room.join',
      events: clients - r.errors,
      errors: r.errors,
      loadgenCpu,
      notes: `connect+join latency; room.join alone p50 ${joinOnly.quantile(0.5).toFixed(1)} / p99 ${joinOnly.quantile(0.99).toFixed(1)} ms; ${concurrency} clients in flight; wall ${(wall / 1000).toFixed(2)} s${r.errors ? `; errors ${JSON.stringify(r.codes)}` : ''}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Scenario 5: reconnect storm (Switchboard): kill gateway a, everyone resumes on gateway b
// ---------------------------------------------------------------------------------------------

async function reconnectStorm() {
  const { victims, roomSize, msgRate, jitterMs, resumeTimeoutMs } = cfg.params;
  const perRoom = roomSize - 1;
  const roomCount = Math.ceil(victims / perRoom);
  // One sender per room on gateway b; victims on gateway a.
  const senders = (await pool(roomCount, 20, (i) => connect(1, { userId: `s${i}_${process.pid}` }))).out;
  if (senders.filter(Boolean).length !== roomCount) throw new Error(`set-up: only ${senders.filter(Boolean).length} of ${roomCount} senders could connect`);
  const roomIds = await createRooms(senders, roomSize + 1);
  const vs = [];
  const setup = await pool(victims, 50, async (i) => {
    const c = await connect(0, { userId: `v${i}_${process.pid}` });
    const roomId = roomIds[i % roomCount];
    const j = await c.request('room.join', { roomId });
    const v = { c, roomId, lastSeq: j.seq ?? 0, got: new Set(), dup: 0, resumed: false, userId: c.userId, token: c.token, sessionId: c.sessionId };
    vs.push(v);
    return v;
  });
  const listen = (v, conn) => {
    conn.onEvent = (_type, f) => {
      if (f.room === v.roomId && typeof f.seq === 'number' && f.seq > v.lastSeq) v.lastSeq = f.seq;
      if (_type === 'chat.message') {
        const k = f.data.message.clientMsgId;
        if (v.got.has(k)) v.dup++;
        else v.got.add(k);
      }
    };
  };
  for (const v of vs) listen(v, v.c);
  const sent = new Map(roomIds.map((id) => [id, []]));
  let sendErrors = 0;
  const sendCodes = {};
  let inFlight = 0;
  let k = 0;
  let sending = true;
  // Each sender behaves like a chat client: one message at a time, every roomCount/msgRate
  // seconds; an unanswered send is retried with the same clientMsgId (idempotent) after an
  // exponential, jittered backoff — so an overloaded server is not hammered harder.
  const interval = (roomCount / msgRate) * 1000;
  const sendLoop = Promise.all(
    senders.map(async (sender, r) => {
      await sleep(Math.random() * interval);
      let next = now();
      while (sending) {
        const id = `m${r}_${k++}`;
        inFlight++;
        let acked = false;
        for (let attempt = 0; attempt < 8 && !acked; attempt++) {
          try {
            await sender.request('chat.send', { roomId: roomIds[r], text: 'still here?', clientMsgId: id });
            sent.get(roomIds[r]).push(id);
            acked = true;
          } catch (err) {
            sendCodes[err.code] = (sendCodes[err.code] ?? 0) + 1;
            if (err.code === 'closed') break;
            await sleep(Math.min(4000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2));
          }
        }
        if (!acked) sendErrors++;
        inFlight--;
        next += interval;
        const wait = next - now();
        if (wait > 0) await sleep(wait);
        else next = now();
      }
    }),
  );
  await sleep(1000);
  await windowStart('reconnect');
  const hist = new Histogram();
  // Where a victim's wait goes (ADR 0096): the reconnect delay, the socket to `hello`, and the resume itself.
  const helloHist = new Histogram();
  const resumeHist = new Histogram();
  let resumeErrors = 0;
  const codes = {};
  const killed = await askParent({ type: 'kill', which: 'gateway-a' });
  const tKill = now() - (Date.now() - killed.at);
  let pendingCount = vs.length;
  let lastResumed = tKill;
  const resumeOne = async (v) => {
    await sleep(Math.random() * jitterMs);
    for (let attempt = 0; attempt < 5; attempt++) {
      let c;
      try {
        const opened = now();
        c = await SbConn.connect(cfg.urls[1], v.token);
        const helloAt = now();
        helloHist.record(helloAt - opened);
        listen(v, c);
        await c.request('session.resume', { sessionId: v.sessionId, rooms: { [v.roomId]: v.lastSeq } });
        resumeHist.record(now() - helloAt);
        v.c = c;
        v.resumed = true;
        lastResumed = now();
        hist.record(now() - tKill);
        return;
      } catch (err) {
        // A client gives up on a connection whose resume failed: left open, it would still hold
        // the seats (a late success) and the next attempt would meet `session_live`.
        if (c) await c.close();
        codes[err.code ?? err.message] = (codes[err.code ?? err.message] ?? 0) + 1;
        await sleep(200 * (attempt + 1));
      }
    }
    resumeErrors++;
  };
  await Promise.race([
    Promise.all(
      vs.map((v) =>
        new Promise((resolve) => {
          if (v.c.closed) return resolve(undefined);
          v.c.onClose = resolve;
        }).then(() => resumeOne(v).finally(() => pendingCount--)),
      ),
    ),
    sleep(resumeTimeoutMs),
  ]);
  const allBackMs = lastResumed - tKill;
  await sleep(1000);
  sending = false;
  await sendLoop;
  const flightUntil = now() + 20_000;
  while (inFlight > 0 && now() < flightUntil) await sleep(20);
  // Drain: until every victim has every acknowledged message, or 3 s.
  const drainUntil = now() + 3000;
  while (now() < drainUntil && vs.some((v) => v.got.size < sent.get(v.roomId).length)) await sleep(20);
  const loadgenCpu = await windowEnd('reconnect');
  let lost = 0;
  let dups = 0;
  let expected = 0;
  for (const v of vs) {
    if (!v.resumed) continue; // counted as not resumed, not as lost
    for (const id of sent.get(v.roomId)) if (!v.got.has(id)) lost++;
    expected += sent.get(v.roomId).length;
    dups += v.dup;
  }
  const totalSent = [...sent.values()].reduce((s, a) => s + a.length, 0);
  const closedSenders = senders.filter((c) => c.closed).map((c) => c.closeCode);
  await closeAll([...vs.map((v) => v.c), ...senders]);
  return [
    {
      scenario: `reconnect storm (${vs.length} clients on the killed replica)`,
      window: 'reconnect',
      throughput: (vs.filter((v) => v.resumed).length / Math.max(1, allBackMs)) * 1000,
      unit: 'resumes/s',
      ...hist.summary(),
      latencyOf: 'kill → session.resume.ok',
      errors: resumeErrors + sendErrors + setup.errors + (pendingCount > 0 ? pendingCount : 0) + lost,
      loadgenCpu,
      lost,
      dups,
      events: vs.filter((v) => v.resumed).length,
      allBackMs,
      notes: `all ${vs.filter((v) => v.resumed).length}/${vs.length} back on the other replica ${(allBackMs / 1000).toFixed(2)} s after SIGKILL (reconnect jitter 0–${jitterMs} ms); messages lost: ${lost} of ${expected} expected deliveries to resumed clients (${totalSent} chat messages acknowledged, ${msgRate}/s offered, one at a time per sender), duplicates: ${dups}; socket → hello p50 / p99 ${helloHist.quantile(0.5).toFixed(0)} / ${helloHist.quantile(0.99).toFixed(0)} ms, session.resume p50 / p99 ${resumeHist.quantile(0.5).toFixed(0)} / ${resumeHist.quantile(0.99).toFixed(0)} ms (successful attempts); chat.send never acknowledged: ${sendErrors}${Object.keys(sendCodes).length ? ` (error replies, retried: ${fmtCodes(sendCodes)})` : ''}${closedSenders.length ? `; sender sockets closed by the server: ${closedSenders.length} (codes ${[...new Set(closedSenders)].join(',')})` : ''}; setup errors: ${setup.errors}${Object.keys(codes).length ? `; retried: ${JSON.stringify(codes)}` : ''}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Scenario 6: live room registry (Switchboard): watchers on rooms.subscribe while rooms are
// created and joined at a fixed rate. Coalescing must hold every watcher to ≤ 1 rooms.changed
// a second however fast the registry churns; lag = churn action's reply → the watcher sees it.
// ---------------------------------------------------------------------------------------------

async function lobby() {
  const { watcherCounts, createRate, joinRate, joinersPerRoom, durationMs, settleMs, concurrency } = cfg.params;
  const rows = [];
  for (const n of watcherCounts) rows.push(await lobbyRun(n, { createRate, joinRate, joinersPerRoom, durationMs, settleMs, concurrency }));
  return rows;
}

async function lobbyRun(n, { createRate, joinRate, joinersPerRoom, durationMs, settleMs, concurrency }) {
  // A tag only this run's rooms carry: watchers see the churn and nothing left from other runs.
  const tag = `lobby${process.pid}x${n}x${Math.random().toString(36).slice(2, 6)}`;
  const roomsPlanned = Math.ceil((durationMs / 1000) * createRate);
  // Owners: each creates a few rooms (ROOMS_CREATE_PER_HOUR); joiners: one seat per room each.
  const owners = (await pool(Math.ceil(roomsPlanned / 20), 20, (i) => connect(i))).out.filter(Boolean);
  const joiners = (await pool(joinersPerRoom, 20, (i) => connect(i))).out.filter(Boolean);
  /** What has happened to each room: [performance.now() of the create reply, of the 1st join reply, …]. */
  const history = new Map();
  const lag = new Histogram();
  let frames = 0;
  let badFrames = 0;
  let orphanStates = 0;
  const watch = await pool(n, concurrency, async (i) => {
    const c = await connect(i);
    const w = { conn: c, frames: 0, minGapMs: Infinity, lastTs: 0, seen: new Map() };
    c.onEvent = (type, f) => {
      if (type !== 'rooms.changed') return;
      const at = now();
      frames++;
      w.frames++;
      if (w.lastTs) w.minGapMs = Math.min(w.minGapMs, f.ts - w.lastTs);
      w.lastTs = f.ts;
      for (const r of f.data?.updated ?? []) {
        if (!r.name?.startsWith(tag)) {
          badFrames++; // the filter let another room through
          continue;
        }
        const times = history.get(r.id);
        if (!times) {
          // A create whose reply failed (timed out) although the room was made: no lag to measure.
          orphanStates++;
          continue;
        }
        // Every state this watcher had not seen yet (creation = count 1, each join +1) arrived now.
        const before = w.seen.get(r.id) ?? 0;
        for (let k = before; k < Math.min(r.participantCount, times.length); k++) lag.record(at - times[k]);
        w.seen.set(r.id, Math.max(before, r.participantCount));
      }
    };
    await c.request('rooms.subscribe', { filter: { nameContains: tag }, limit: 1 });
    return w;
  });
  const watchers = watch.out.filter(Boolean);
  if (watch.errors) log(`lobby ${n}: ${watch.errors} watchers could not subscribe (${fmtCodes(watch.codes)})`);

  // The churn: creates at createRate, joins at joinRate (each room gets joinersPerRoom seats).
  const seats = []; // [roomId, joiner index] not taken yet, oldest rooms first
  const created = [];
  let churnErrors = 0;
  const errCodes = {};
  const fail = (err) => {
    churnErrors++;
    errCodes[err.code ?? 'error'] = (errCodes[err.code ?? 'error'] ?? 0) + 1;
  };
  const label = `lobby ${n}`;
  await windowStart(label);
  const t0 = now();
  const inflight = [];
  let creates = 0;
  let joins = 0;
  while (now() - t0 < durationMs) {
    const elapsed = now() - t0;
    while (creates < Math.min(roomsPlanned, Math.floor((elapsed / 1000) * createRate) + 1)) {
      const owner = owners[creates % owners.length];
      creates++;
      inflight.push(
        owner
          .request('room.create', { name: `${tag} ${creates}`, kind: 'group', joinPolicy: 'open', maxParticipants: joinersPerRoom + 1 })
          .then((r) => {
            history.set(r.room.id, [now()]);
            created.push(r.room.id);
            for (let j = 0; j < joiners.length; j++) seats.push([r.room.id, j]);
          }, fail),
      );
    }
    while (joins < Math.floor((elapsed / 1000) * joinRate) && seats.length) {
      const [roomId, j] = seats.shift();
      joins++;
      inflight.push(
        joiners[j].request('room.join', { roomId }).then(() => history.get(roomId).push(now()), fail),
      );
    }
    await sleep(5);
  }
  await Promise.allSettled(inflight);
  const churnMs = now() - t0;
  // Settle: the last changes reach every watcher within a few coalescing intervals.
  const expected = () => watchers.reduce((m, w) => m + [...history].filter(([id, t]) => (w.seen.get(id) ?? 0) < t.length).length, 0);
  const settleStart = now();
  while (expected() > 0 && now() - settleStart < settleMs) await sleep(100);
  const wallS = (now() - t0) / 1000;
  const loadgenCpu = await windowEnd(label);
  const missing = expected();
  await closeAll([...watchers.map((w) => w.conn), ...owners, ...joiners]);
  const perWatcher = watchers.map((w) => w.frames / wallS);
  const maxRate = Math.max(0, ...perWatcher);
  const minGap = Math.min(...watchers.map((w) => w.minGapMs));
  const tooFast = watchers.filter((w) => w.minGapMs < 900).length;
  return {
    key: `lobby-${n}`,
    scenario: `live room registry (${n} watchers, ${createRate} creates/s + ${joinRate} joins/s)`,
    window: label,
    throughput: frames / wallS,
    unit: 'rooms.changed/s delivered',
    ...lag.summary(),
    latencyOf: 'create/join reply → watcher sees it',
    events: frames,
    errors: churnErrors + watch.errors + badFrames + tooFast,
    // Every (watcher, room state) not seen by the end of the settle counts as lost.
    fixed: { offered: ((creates + joins) * 1000) / churnMs, delivered: frames, lost: missing, p99: lag.quantile(0.99) },
    loadgenCpu,
    notes: `${watchers.length} watchers; ${created.length} rooms created and ${joins} joins in ${(churnMs / 1000).toFixed(1)} s; rooms.changed per watcher per second max ${maxRate.toFixed(2)} (must be ≤ 1); smallest gap between two frames to one watcher (server ts) ${Number.isFinite(minGap) ? minGap.toFixed(0) : '–'} ms; watchers with a gap < 900 ms ${tooFast}; lag p50 ${lag.quantile(0.5).toFixed(0)} / p99 ${lag.quantile(0.99).toFixed(0)} ms (includes the ≤ 1 s coalescing interval); states not seen after ${settleMs / 1000} s settle ${missing}${churnErrors ? `; churn errors ${fmtCodes(errCodes)}` : ''}${badFrames ? `; rooms outside the filter in frames ${badFrames}` : ''}${orphanStates ? `; states of rooms whose create reply failed but which exist ${orphanStates}` : ''}`,
  };
}

function passingCount(res, bound) {
  const last = res.steps[res.steps.length - 1];
  return last && last.p99 <= bound && last.lost === 0 && last.errors === 0 ? res.steps.length : res.steps.length - 1;
}

function maxFds() {
  try {
    return /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? '?';
  } catch {
    return '?';
  }
}

const SCENARIOS = { idle, relay, fanout, join: joinStorm, reconnect: reconnectStorm, lobby };

process.once('message', async (/** @type {import('./lib/messages.mjs').LoadgenConfig} */ m) => {
  cfg = m;
  try {
    const rows = await SCENARIOS[cfg.scenario]();
    send({ type: 'result', rows });
  } catch (err) {
    send({ type: 'result', error: err.stack ?? String(err) });
  }
  setTimeout(() => process.exit(0), 200);
});
