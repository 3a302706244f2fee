#!/usr/bin/env node
// PeerJS's own signaling server (`peer` package), as its users run it: one process, peers
// in memory. Clients connect to ws://host:PORT/bench/peerjs?key=peerjs&id=<id>&token=<t>.
// Env: PORT. Prints "ready <port>" when listening.
import { PeerServer } from 'peer';

const port = Number(process.env.PORT ?? 9000);
PeerServer({ port, host: '127.0.0.1', path: '/bench', concurrent_limit: 100_000 }, () => console.log(`ready ${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
