#!/usr/bin/env node
// The "usual alternative": a Socket.IO signaling server scaled out with @socket.io/redis-adapter,
// written as simply as its users write it (JWT check in a middleware, rooms = Socket.IO rooms,
// signals addressed to a socket id, chat broadcast to the room, no persistence, no seq, no resume).
// Env: PORT, REDIS_URL, JWT_SECRET. Prints "ready <port>" when listening.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { jwtVerify } from 'jose';

const port = Number(process.env.PORT ?? 3000);
const key = new TextEncoder().encode(process.env.JWT_SECRET ?? 'bench-secret-bench-secret-bench');

const pubClient = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
const subClient = pubClient.duplicate();
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404).end();
});
const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient), serveClient: false });

io.use(async (socket, next) => {
  try {
    const { payload } = await jwtVerify(socket.handshake.auth?.token ?? '', key);
    socket.data.userId = payload.sub;
    socket.data.name = payload.name;
    next();
  } catch {
    next(new Error('unauthorized'));
  }
});

const participant = (s) => ({ userId: s.data.userId, connectionId: s.id, name: s.data.name });
const ok = (ack, data = {}) => typeof ack === 'function' && ack({ ok: true, data });
const fail = (ack, code) => typeof ack === 'function' && ack({ ok: false, error: { code } });

io.on('connection', (socket) => {
  socket.on('ping', (_d, ack) => ok(ack, { ts: Date.now() }));

  // join/leave may return a promise (adapter-dependent): awaited, so the ack follows the membership change.
  socket.on('room.create', async (d, ack) => {
    const id = randomUUID();
    await socket.join(id);
    ok(ack, { room: { id, name: d?.name }, participants: [participant(socket)] });
  });

  socket.on('room.join', async (d, ack) => {
    const roomId = d?.roomId;
    if (typeof roomId !== 'string') return fail(ack, 'bad_request');
    await socket.join(roomId);
    socket.to(roomId).emit('room.participant_joined', { room: roomId, data: { participant: participant(socket) } });
    try {
      const sockets = await io.in(roomId).fetchSockets(); // asks every instance through Redis
      ok(ack, { room: { id: roomId }, participants: sockets.map((s) => ({ userId: s.data.userId, connectionId: s.id, name: s.data.name })) });
    } catch {
      fail(ack, 'unavailable');
    }
  });

  socket.on('room.leave', async (d, ack) => {
    await socket.leave(d?.roomId);
    socket.to(d?.roomId).emit('room.participant_left', { room: d?.roomId, data: { userId: socket.data.userId, connectionId: socket.id, reason: 'left' } });
    ok(ack);
  });

  socket.on('room.broadcast', (d, ack) => {
    if (!socket.rooms.has(d?.roomId)) return fail(ack, 'forbidden');
    socket.to(d.roomId).emit('room.broadcast', { room: d.roomId, data: { from: socket.id, data: d.data } });
    ok(ack);
  });

  socket.on('chat.send', (d, ack) => {
    if (!socket.rooms.has(d?.roomId)) return fail(ack, 'forbidden');
    const message = { id: randomUUID(), roomId: d.roomId, userId: socket.data.userId, text: d.text, clientMsgId: d.clientMsgId, createdAt: new Date().toISOString() };
    io.to(d.roomId).emit('chat.message', { room: d.roomId, data: { message } });
    ok(ack, { message });
  });

  socket.on('signal', (d, ack) => {
    if (typeof d?.to !== 'string') return fail(ack, 'bad_request');
    io.to(d.to).emit('signal', { data: { from: socket.id, fromUser: socket.data.userId, roomId: d.roomId, kind: d.kind, payload: d.payload } });
    ok(ack);
  });
});

httpServer.listen(port, '127.0.0.1', () => console.log(`ready ${port}`));
const stop = () => {
  // allSettled never rejects: nothing to handle before exiting.
  void Promise.allSettled([io.close(), pubClient.quit(), subClient.quit()]).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
