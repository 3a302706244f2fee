// Centrifugo, the third benchmark target: built from its Go module (pinned) into .cache/ like
// LiveKit (scripts/lib/go-binary.mjs), run as two nodes sharing one Redis engine (broker +
// presence), each a sidecar (scripts/lib/sidecar.mjs) with its own JSON config file.
import fs from 'node:fs';
import path from 'node:path';
import { ensureGoBinary } from '../../scripts/lib/go-binary.mjs';
import { freePort } from '../../scripts/lib/infra.mjs';
import { startSidecar } from '../../scripts/lib/sidecar.mjs';

export const CENTRIFUGO_VERSION = 'v6.9.1';
export const CENTRIFUGO_MODULE = 'github.com/centrifugal/centrifugo/v6';

/** Builds Centrifugo once into .cache/centrifugo/<version>; `{ ok, binary }` or `{ ok: false, reason }`. */
export function ensureCentrifugo({ repoRoot, log }) {
  return ensureGoBinary({
    repoRoot,
    name: 'centrifugo',
    label: 'Centrifugo',
    module: CENTRIFUGO_MODULE,
    version: CENTRIFUGO_VERSION,
    hint: `Centrifugo is built from source and needs Go: GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN=$PWD/.cache/centrifugo/${CENTRIFUGO_VERSION} go install ${CENTRIFUGO_MODULE}@${CENTRIFUGO_VERSION}`,
    log,
  });
}

/**
 * One node's config, as its users write it for rooms: JWT (HS256) connection tokens; namespace
 * `room` (subscribe = join, client publish for subscribers = broadcast, presence = member list,
 * join/leave events), `chat` (the same plus history in Redis with recovery: Centrifugo's
 * persistence), `personal` (user-limited channels `personal:#<user>`, the closest thing to a
 * 1:1 signal: anyone authenticated may publish, only <user> may subscribe).
 */
export function centrifugoConfig({ port, redisUrl, jwtSecret, nodeName }) {
  const room = { allow_subscribe_for_client: true, allow_publish_for_subscriber: true, allow_presence_for_subscriber: true, presence: true, join_leave: true, force_push_join_leave: true };
  return {
    node: { name: nodeName },
    http_server: { address: '127.0.0.1', port },
    log: { level: 'error' },
    health: { enabled: true },
    client: { token: { hmac_secret_key: jwtSecret }, allowed_origins: ['*'] },
    engine: { type: 'redis', redis: { address: [redisUrl] } },
    channel: {
      namespaces: [
        { name: 'room', ...room },
        { name: 'chat', ...room, history_size: 100, history_ttl: '300s', force_recovery: true },
        { name: 'personal', allow_user_limited_channels: true, allow_subscribe_for_client: true, allow_publish_for_client: true },
      ],
    },
  };
}

/** Two nodes on free ports sharing `redisUrl`; resolves `{ urls, pids, stop() }`. */
export async function startCentrifugo({ binary, redisUrl, jwtSecret, nodes = 2 }) {
  const started = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      const node = await startSidecar({
        name: `Centrifugo-${i}`,
        binary,
        args: (dir) => {
          const file = path.join(dir, 'config.json');
          fs.writeFileSync(file, JSON.stringify(centrifugoConfig({ port, redisUrl, jwtSecret, nodeName: `bench-${i}` })));
          return ['--config', file];
        },
        ready: () => fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false),
        readyTimeoutMs: 30_000,
      });
      started.push({ ...node, port });
    }
  } catch (err) {
    await Promise.all(started.map((n) => n.stop()));
    throw err;
  }
  return {
    urls: started.map((n) => `ws://127.0.0.1:${n.port}/connection/websocket`),
    pids: Object.fromEntries(started.map((n, i) => [`centrifugo-${i}`, n.child.pid])),
    stop: () => Promise.all(started.map((n) => n.stop())),
  };
}
