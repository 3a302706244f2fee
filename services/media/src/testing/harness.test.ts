// Test harness for the media service specs (named *.test.ts so neither tsc's build nor vitest's
// spec glob picks it up). Media needs a real rooms service (membership and participants over
// gRPC), so it runs on the rooms harness: same NATS, Redis, callers and event log.
import { startService, type Caller, type ServiceHandle } from '@switchboard/platform';
import type { ReplyOf, ServedVerb } from '@switchboard/protocol';
import type { LooseJson } from '@switchboard/testing/json';
import { mediaTestEnv } from '@switchboard/testing/stack';
import { RoomsHarness } from '../../../rooms/src/testing/harness.test.js';
import { AppModule } from '../app.module.js';
import { mediaService } from '../service.js';
import type { SfuAccess } from '../sfu/sfu.access.js';

export { EventLog, GRPC_SECRET, uid, until, type SeenEvent } from '../../../rooms/src/testing/harness.test.js';

/**
 * Short timers so ring timeouts, disconnects and pull retries happen within a test. Every
 * media spec uses these values: all replicas of a run share one NATS queue group.
 */
export const MEDIA_TIMERS = {
  // long enough that an answer on a loaded CI machine lands before it; the timeout cases wait it out
  CALL_RING_TIMEOUT_MS: '2500',
  DISCONNECT_GRACE_MS: '300',
  SWEEP_INTERVAL_MS: '50',
  CALL_LOG_PRUNE_INTERVAL_MS: '200',
  CHUNK_PULL_TIMEOUT_MS: '400',
  CHUNK_PULL_ATTEMPTS: '2',
};

type Media = ServiceHandle<unknown>;

/** One rooms replica and two (or more) media replicas sharing the test NATS, Redis and Postgres. */
export class MediaHarness {
  media: Media[] = [];

  private constructor(readonly rooms: RoomsHarness) {}

  /** `sfu` replaces the SFU seam (NoSfu by default) with a test double. */
  static async start(replicas = 2, opts: { env?: Record<string, string>; sfu?: SfuAccess } = {}): Promise<MediaHarness> {
    const h = new MediaHarness(await RoomsHarness.start(1));
    for (let i = 0; i < replicas; i++) await h.addReplica(opts);
    return h;
  }

  /** One more media replica (e.g. a restarted one); stopped with the harness. */
  async addReplica(opts: { env?: Record<string, string>; sfu?: SfuAccess } = {}): Promise<Media> {
    const roomsGrpc = `127.0.0.1:${this.rooms.replicas[0].grpcPort}`;
    const service = mediaService(mediaTestEnv({ REQUEST_TIMEOUT_MS: '15000', ROOMS_GRPC_URL: roomsGrpc, ...MEDIA_TIMERS, ...opts.env }));
    const module: typeof service.module = (p) => AppModule.register(p, { sfu: opts.sfu });
    const replica = await this.rooms.stack.add(startService({ ...service, module }));
    this.media.push(replica);
    return replica;
  }

  get bus() {
    return this.rooms.bus;
  }

  caller(userId?: string, over: Partial<Caller> = {}): Caller {
    return this.rooms.caller(userId, over);
  }

  /** A media command through NATS (any replica answers, as for a client). */
  req<V extends ServedVerb<'media'>>(verb: V, caller: Caller, data: unknown): Promise<ReplyOf<'media', V>>;
  req<T = LooseJson>(verb: string, caller: Caller, data: unknown): Promise<T>;
  req<T = LooseJson>(verb: string, caller: Caller, data: unknown): Promise<T> {
    return this.rooms.req<T>(verb, caller, data, 'media');
  }

  /** The error code a media command fails with (or 'ok'). */
  code(verb: string, caller: Caller, data: unknown): Promise<string> {
    return this.rooms.code(verb, caller, data, 'media');
  }

  /** The error a media command fails with (code, message, details). */
  async error(verb: string, caller: Caller, data: unknown): Promise<{ code: string; details?: Record<string, unknown> }> {
    try {
      await this.req(verb, caller, data);
    } catch (err) {
      return err as { code: string; details?: Record<string, unknown> };
    }
    throw new Error(`${verb} succeeded`);
  }

  /** Presence's notice that a connection is gone. */
  gone(c: Caller): void {
    this.bus.publish('sb.sys.conn.gone', { type: 'conn.gone', data: { connectionId: c.connectionId, userId: c.userId, sessionId: c.sessionId, nodeId: c.nodeId, reason: 'closed' } });
  }

  /** A room with its owner and `others` more participants (one connection each). */
  async roomWith(others = 1, data: Record<string, unknown> = {}): Promise<{ roomId: string; owner: Caller; members: Caller[] }> {
    const { roomId, owner } = await this.rooms.room(data);
    const members: Caller[] = [];
    for (let i = 0; i < others; i++) members.push(await this.rooms.joined(roomId));
    return { roomId, owner, members };
  }

  stop() {
    return this.rooms.stop();
  }
}
