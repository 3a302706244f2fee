#!/usr/bin/env node
// node bench/fanout-frames.mjs [--sockets 10] [--events 4000] [--rounds 5] [--per-turn 50] [--writes [--burst]]
//
// The gateway's per-socket cost of one event, alone (ADR 0078): server-side CPU
// (process.cpuUsage) of writing the same event to N loopback WebSocket clients, either with
// ws.send(string) per socket (before) or with Connection.sendEvent (one prebuilt frame shared by
// every socket), rounds interleaved. The clients read in a child process, so their CPU is not
// counted. Needs the gateway's dist (npm run build). `--per-turn k`: events per event-loop turn
// (default 50). `--writes`: compares Connection.sendEvent with WS_WRITES=frame against
// WS_WRITES=turn (ADR 0087) instead of ws.send against sendEvent; with `--burst`, against
// WS_WRITES=burst (ADR 0099).
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

const args = process.argv.slice(2);
const num = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);

if (args[0] === '--client') {
  const [port, n] = [Number(args[1]), Number(args[2])];
  for (let i = 0; i < n; i++) new WebSocket(`ws://127.0.0.1:${port}`).on('message', () => undefined);
} else {
  const sockets = num('--sockets', 10);
  const events = num('--events', 4000);
  const rounds = num('--rounds', 5);
  const perTurn = num('--per-turn', 50);
  const writes = args.includes('--writes');
  const burst = args.includes('--burst');
  const root = join(import.meta.dirname, '..');
  const { Connection, eventFrameJson } = await import(pathToFileURL(join(root, 'services/gateway/dist/connections/connection.js')).href);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  const socks = [];
  const connected = new Promise((r) => wss.on('connection', (ws) => socks.push(ws) === sockets && r(undefined)));
  const client = fork(import.meta.filename, ['--client', String(/** @type {import('node:net').AddressInfo} */ (wss.address()).port), String(sockets)]);
  await connected;
  const identity = { userId: 'u', name: 'u', device: '', roles: [], exp: Date.now() / 1000 + 3600 };
  const connsWith = (/** @type {boolean} */ held) =>
    socks.map((ws, i) => new Connection(`c${i}`, `s${i}`, identity, 'gw', ws, { perSec: 1e9, burst: 1e9 }, { maxBufferedBytes: 1 << 30, closeGraceMs: 0, writes: !held ? 'frame' : burst ? 'burst' : 'turn' }));
  const conns = connsWith(false);
  const heldConns = connsWith(true);
  // A typical broadcast as the gateway receives it from NATS.
  const dataJson = JSON.stringify({ from: { userId: 'u_abcdefgh', connectionId: 'c_abcdefghijkl' }, data: { text: 'hello world, a broadcast of typical size', n: 1 } });
  const event = () => ({ type: 'room.broadcast', roomId: 'r_abcdefghijkl', seq: 0, ts: Date.now(), dataJson, excludeConnectionId: '', onlyConnectionIds: [] });
  const drained = () =>
    new Promise((r) => {
      const t = setInterval(() => socks.every((s) => s.bufferedAmount === 0) && (clearInterval(t), r(undefined)), 5);
    });
  const measure = async (deliver) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < events; i++) {
      deliver(event());
      // Yield now and then, as NATS deliveries would, so writes are flushed as they go.
      if (i % perTurn === perTurn - 1) await new Promise((r) => setImmediate(r));
    }
    await drained();
    const u = process.cpuUsage(t0);
    return (u.user + u.system) / 1000;
  };
  const before = [];
  const after = [];
  for (let r = 0; r < rounds; r++) {
    before.push(await measure(writes ? (e) => conns.forEach((c) => c.sendEvent(e)) : (e) => socks.forEach((s) => s.send((e.frame ??= eventFrameJson(e))))));
    after.push(await measure((e) => (writes ? heldConns : conns).forEach((c) => c.sendEvent(e))));
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const perDelivery = (a) => ((1000 * median(a)) / (sockets * events)).toFixed(2);
  const [a, b] = writes ? ['WS_WRITES=frame', burst ? 'WS_WRITES=burst' : 'WS_WRITES=turn'] : ['ws.send per socket', 'shared frame'];
  console.log(`${sockets} sockets × ${events} events, ${perTurn} per turn, ${rounds} rounds; server CPU ms per round — ${a}: ${before.map(Math.round).join(', ')}; ${b}: ${after.map(Math.round).join(', ')}`);
  console.log(`µs of server CPU per delivery (median round): ${a} ${perDelivery(before)}, ${b} ${perDelivery(after)}`);
  client.kill();
  wss.close();
}
