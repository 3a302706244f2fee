/**
 * NATS users and their subject permissions: the one table that `npm start`, the test
 * infrastructure and operators (docs/security.md) render into nats-server's `authorization`
 * block. Each process connects as its service's user (NATS_USER, default the service name)
 * with NATS_PASSWORD; nats-server refuses anything outside these lists with a
 * "Permissions Violation" (the test run fails on any such line in its server log).
 *
 * Rules of thumb behind the table (ADR 0011):
 * - Only the gateway publishes commands (`sb.cmd.>`), so a command's `caller` was set by the
 *   gateway from an authenticated connection; services do not command each other over NATS.
 * - A service subscribes only to its own command subjects and the notices it consumes.
 * - Replies: every user may answer requests it received (`allow_responses`) and reads replies
 *   only on its own inbox prefix (`_INBOX_<user>.>`), so no user can read another's replies.
 * - JetStream: only the API subjects of the streams the user needs (`$JS.API...<stream>`).
 *
 * How to extend (e.g. a new event family or notice): add the subject pattern to the user
 * that publishes it (`publish`) and to every user that subscribes to it (`subscribe`), use
 * the same pattern shapes as `subjects` in @switchboard/protocol, and run the e2e suite: a
 * missing entry shows up as a Permissions Violation in the NATS log and fails the run.
 */

/** Every NATS user of a Switchboard deployment, one per service. */
export const NATS_USERS = ['gateway', 'rooms', 'presence', 'media', 'attestation'] as const;
export type NatsUser = (typeof NATS_USERS)[number];

export interface NatsUserPermissions {
  /** Subjects the user may publish to (besides replies to requests it received). */
  publish: string[];
  /** Subjects the user may subscribe to (besides its own inbox). */
  subscribe: string[];
}

/** Inbox prefix of a user's request replies (nats.js `inboxPrefix`). */
export const natsInboxPrefix = (user: string) => `_INBOX_${user}`;

/** JetStream API subjects to create/update/inspect a stream (idempotent ensure at start-up). */
const jsEnsureStream = (stream: string) => ['$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.CREATE.${stream}`, `$JS.API.STREAM.UPDATE.${stream}`];
/** JetStream API subjects to read a stream with ephemeral (ordered) consumers. */
const jsReadStream = (stream: string) => [
  '$JS.API.INFO',
  `$JS.API.STREAM.INFO.${stream}`,
  `$JS.API.CONSUMER.CREATE.${stream}`,
  `$JS.API.CONSUMER.CREATE.${stream}.>`,
  `$JS.API.CONSUMER.INFO.${stream}.>`,
  `$JS.API.CONSUMER.DELETE.${stream}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
];
/** JetStream direct get of single messages. */
const jsDirectGet = (stream: string) => [`$JS.API.DIRECT.GET.${stream}`, `$JS.API.DIRECT.GET.${stream}.>`];

/** Every name a room event stream may have (streams.ts: SB_ROOM_EVENTS, or SB_ROOM_EVENTS_<i> when sharded). */
const ROOM_EVENT_STREAM_NAMES = ['SB_ROOM_EVENTS', ...Array.from({ length: 16 }, (_, i) => `SB_ROOM_EVENTS_${i}`)];
const AUDIT = 'SB_AUDIT';

/** Event subjects a service that owns room state publishes (RoomEventsPublisher; `live`: ephemeral room events, not replayed). */
const ROOM_EVENT_PUBLISH = ['sb.evt.room.*.*', 'sb.evt.live.*', 'sb.evt.user.*', 'sb.evt.conn.*'];

export const NATS_PERMISSIONS: Record<NatsUser, NatsUserPermissions> = {
  gateway: {
    publish: [
      // Commands to every service; the gateway is the only commander.
      'sb.cmd.>',
      // Signaling to a connection held by another replica (request on its conn subject).
      'sb.evt.conn.*',
      // Push-to-talk audio of a floor holder on this replica (ADR 0053), and its connections'
      // broadcasts and typing (ADR 0062), on the room's live subject.
      'sb.evt.live.*',
      // Admin audit log (JetStream stream SB_AUDIT).
      'sb.audit.>',
      ...jsEnsureStream(AUDIT),
      ...jsDirectGet(AUDIT),
      // session.resume reads retained room events.
      ...ROOM_EVENT_STREAM_NAMES.flatMap(jsReadStream),
      // Stream and durable-consumer gauges at scrape time (jetstream.metrics.ts).
      ...ROOM_EVENT_STREAM_NAMES.map((name) => `$JS.API.CONSUMER.LIST.${name}`),
      `$JS.API.CONSUMER.LIST.${AUDIT}`,
    ],
    // sb.sys.rooms.changed: the live room registry's coalesced changes (every replica reads them).
    subscribe: ['sb.evt.room.*.*', 'sb.evt.live.*', 'sb.evt.user.*', 'sb.evt.conn.*', 'sb.evt.presence.*', 'sb.sys.attestation.policy', 'sb.sys.rooms.changed'],
  },
  rooms: {
    // sb.sys.room.access: access changes (mute, kick, ban, leave, close) media enforces in LiveKit.
    // sb.sys.rooms.changed: coalesced public-room changes for the live registry (rooms.subscribe).
    publish: [...ROOM_EVENT_PUBLISH, ...ROOM_EVENT_STREAM_NAMES.flatMap(jsEnsureStream), 'sb.sys.room.access', 'sb.sys.rooms.changed'],
    subscribe: ['sb.cmd.rooms.>', 'sb.sys.conn.gone'],
  },
  presence: {
    publish: ['sb.evt.presence.*', 'sb.evt.conn.*', 'sb.sys.conn.gone'],
    subscribe: ['sb.cmd.presence.>'],
  },
  media: {
    publish: ROOM_EVENT_PUBLISH,
    subscribe: ['sb.cmd.media.>', 'sb.sys.conn.gone', 'sb.sys.room.access'],
  },
  attestation: {
    // Version policy changes, so every gateway refetches its cached policy.
    publish: ['sb.sys.attestation.policy'],
    subscribe: ['sb.cmd.attestation.>'],
  },
};

/** One entry of nats-server's `authorization.users`. */
export interface NatsServerUser {
  user: string;
  password: string;
  permissions: { publish: { allow: string[] }; subscribe: { allow: string[] }; allow_responses: boolean };
}

/**
 * nats-server `authorization.users` for the given passwords (a user without one is left
 * out). `extra` adds users outside the table, e.g. the test suite's own observer.
 */
export function natsServerUsers(passwords: Partial<Record<NatsUser, string>>, extra: { user: string; password: string; permissions: NatsUserPermissions }[] = []): NatsServerUser[] {
  const entries = [...NATS_USERS.filter((u) => passwords[u]).map((u) => ({ user: u as string, password: passwords[u]!, permissions: NATS_PERMISSIONS[u] })), ...extra];
  return entries.map(({ user, password, permissions }) => ({
    user,
    password,
    permissions: {
      publish: { allow: [...new Set(permissions.publish)] },
      subscribe: { allow: [...new Set([...permissions.subscribe, `${natsInboxPrefix(user)}.>`])] },
      allow_responses: true,
    },
  }));
}

/**
 * A complete nats-server configuration (JSON is valid nats-server config syntax): loopback
 * listener, JetStream in `storeDir`, and the users above.
 */
export function natsServerConfig(opts: { host: string; port: number; storeDir: string; users: NatsServerUser[]; cluster?: NatsClusterConfig }): string {
  const clustered = opts.cluster
    ? {
        server_name: opts.cluster.serverName,
        cluster: { name: opts.cluster.name, host: opts.host, port: opts.cluster.port, routes: opts.cluster.routes.map((r) => `nats-route://${r}`) },
      }
    : {};
  return JSON.stringify({ host: opts.host, port: opts.port, ...clustered, jetstream: { store_dir: opts.storeDir }, authorization: { users: opts.users } }, null, 2);
}

/**
 * One node of a NATS cluster: its unique name (JetStream needs one per node), its route port
 * and every node's route address (`host:port`; its own is ignored by the server).
 */
export interface NatsClusterConfig {
  name: string;
  serverName: string;
  port: number;
  routes: string[];
}
