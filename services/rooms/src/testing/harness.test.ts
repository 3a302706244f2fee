// Test harness for the rooms service specs (named *.test.ts so neither tsc's build nor
// vitest's spec glob picks it up as a module or a test file).
import { decodeJson, type Caller, type CommandBus, type ServiceHandle } from '@switchboard/platform';
import { bus } from '@switchboard/proto';
import { subjects, type ReplyOf } from '@switchboard/protocol';
import type { LooseJson } from '@switchboard/testing/json';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';
import { startRooms } from '../service.js';

export { uid, until };
export { GRPC_SECRET } from '@switchboard/testing/stack';

export interface SeenEvent<D = LooseJson> {
  subject: string;
  type: string;
  roomId: string;
  seq: number;
  data: D;
  excludeConnectionId: string;
  onlyConnectionIds: string[];
}

/** Records every event on some subjects, decoded, for assertions. */
export class EventLog {
  readonly events: SeenEvent[] = [];

  of(type: string, pred: (e: SeenEvent) => boolean = () => true): SeenEvent[] {
    return this.events.filter((e) => e.type === type && pred(e));
  }

  waitFor(type: string, pred: (e: SeenEvent) => boolean = () => true, timeoutMs = 10_000): Promise<SeenEvent> {
    return until(() => this.of(type, pred)[0], `${type} event`, timeoutMs, 20);
  }
}

/**
 * Short timers so timeouts and disconnects happen within a test. Every rooms spec uses these
 * same values: all replicas started during a run share one NATS queue group, so a command
 * (or conn.gone notice) may be served by a replica another spec file started.
 */
export const FAST_TIMERS = { FLOOR_TTL_MS: '1500', TYPING_TTL_MS: '300', DISCONNECT_GRACE_MS: '300', SWEEP_INTERVAL_MS: '50' };

type Rooms = ServiceHandle<unknown>;

/** Two (or more) in-process rooms replicas sharing the test NATS, Redis and Postgres. */
export class RoomsHarness {
  readonly stack = new Stack();
  replicas: Rooms[] = [];
  /** The suite's own bus (plays the gateway), not a replica's: replicas hold only rooms' NATS permissions. */
  bus!: CommandBus;

  static async start(replicas = 2, env: Record<string, string> = FAST_TIMERS): Promise<RoomsHarness> {
    const h = new RoomsHarness();
    h.bus = await h.stack.testBus();
    // A generous request timeout: two cores are shared by parallel test files and first
    // queries on a cold Prisma pool are slow. Correctness, not latency, is under test.
    for (let i = 0; i < replicas; i++) h.replicas.push(await h.stack.add(startRooms(testEnv({ REQUEST_TIMEOUT_MS: '15000', ...env }))));
    // On a NATS cluster (the clustered pass) the services' interest reaches the test's node a
    // moment after start: wait until a command is routed (any answer but `unavailable`).
    await until(async () => (await h.code('room.get', h.caller(), { roomId: uid('probe') })) !== 'unavailable', 'rooms answers on the bus', 20_000);
    return h;
  }

  /** A fresh connection of a user (new connection and session ids). */
  caller(userId = uid('u'), over: Partial<Caller> = {}): Caller {
    return { userId, connectionId: uid('c'), sessionId: uid('s'), nodeId: 'gw-test', name: userId, device: '', roles: [], ...over };
  }

  req<T = LooseJson>(verb: string, caller: Caller, data: unknown, service = 'rooms'): Promise<T> {
    return this.bus.requestAny(service, verb, caller, data) as Promise<T>;
  }

  /** The error code a command fails with (or 'ok'). */
  async code(verb: string, caller: Caller, data: unknown, service = 'rooms'): Promise<string> {
    try {
      await this.req(verb, caller, data, service);
      return 'ok';
    } catch (err) {
      return (err as { code: string }).code;
    }
  }

  async watch(...subjectList: string[]): Promise<EventLog> {
    const log = new EventLog();
    const nc = this.bus.nc;
    for (const subject of subjectList) {
      const sub = nc.subscribe(subject, {
        callback: (_err, msg) => {
          const e = bus.Event.decode(msg.data);
          log.events.push({ subject: msg.subject, type: e.type, roomId: e.roomId, seq: Number(e.seq), data: decodeJson(e.data), excludeConnectionId: e.excludeConnectionId, onlyConnectionIds: e.onlyConnectionIds });
        },
      });
      this.stack.onStop(async () => sub.unsubscribe());
    }
    await nc.flush();
    return log;
  }

  /** The room's events: seq'd ones and the live (ephemeral) ones. */
  watchRoom(roomId: string) {
    return this.watch(subjects.room(roomId), subjects.live(roomId));
  }

  watchUser(userId: string) {
    return this.watch(subjects.user(userId));
  }

  /** Creates a room owned by a new user; returns the room id and the owner's connection. */
  async room(data: Record<string, unknown> = {}, owner = this.caller()): Promise<{ roomId: string; owner: Caller; reply: ReplyOf<'rooms', 'room.create'> }> {
    const reply = await this.req<ReplyOf<'rooms', 'room.create'>>('room.create', owner, { name: 'r', kind: 'group', joinPolicy: 'open', ...data });
    return { roomId: reply.room.id, owner, reply };
  }

  async joined(roomId: string, userId?: string): Promise<Caller> {
    const c = this.caller(userId);
    await this.req('room.join', c, { roomId });
    return c;
  }

  waitUntil(check: () => boolean | Promise<boolean>, what = 'condition') {
    return until(check, what, 10_000, 20);
  }

  stop() {
    return this.stack.stop();
  }
}
