// A contract-faithful fake of LiveKit's Twirp RoomService and webhooks, for fast, deterministic
// service tests with fault injection. It follows LiveKit v1.13.5 (pkg/service/auth.go,
// roomservice.go, localstore.go; livekit/protocol webhook/url_notifier.go), and the contract
// suite (test/integration/livekit-contract.spec.ts) runs the same cases against it and the real
// server, so where the two differ the fake is wrong.
//
// Wire contract reproduced:
// - POST /twirp/livekit.RoomService/<Method>. Requests: JSON in camelCase (what the SDK sends;
//   proto names are accepted too). Responses: protojson as LiveKit's xtwirp writes them (proto
//   field names, zero values emitted, int64 as strings), via @livekit/protocol's messages.
// - Authorization: `Bearer <JWT>` (HS256 with the API secret, `iss` = API key). A header without
//   "Bearer " or a token that does not verify: 401 with a plain-text body (LiveKit's middleware).
//   No header, or a grant missing for the method: Twirp 401 {"code":"unauthenticated","msg":"permissions denied"}.
//   Grants: CreateRoom/DeleteRoom `roomCreate`; ListRooms `roomList`; the rest `roomAdmin` with a
//   matching `room`.
// - Twirp errors {code,msg} with `Content-Type: application/json` and the real statuses (404 not_found
//   for DeleteRoom/UpdateRoomMetadata of an unknown room and unknown participants, ...).
// - Webhooks: POST with `Authorization: <JWT>` (no "Bearer"), claim `sha256` = base64(SHA-256(body)),
//   valid 5 minutes, `Content-Type: application/webhook+json`; retried with the same event id on
//   failure (LiveKit's retryablehttp).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateRoomRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  ListParticipantsRequest,
  ListParticipantsResponse,
  ListRoomsRequest,
  ListRoomsResponse,
  MuteRoomTrackResponse,
  RemoveParticipantResponse,
  SendDataResponse,
  MuteRoomTrackRequest,
  ParticipantInfo,
  ParticipantInfo_State,
  ParticipantPermission,
  Room,
  RoomParticipantIdentity,
  SendDataRequest,
  TrackInfo,
  TrackSource,
  TrackType,
  UpdateParticipantRequest,
  UpdateRoomMetadataRequest,
  WebhookEvent,
} from '@livekit/protocol';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';

export interface VideoGrant {
  roomCreate?: boolean;
  roomList?: boolean;
  roomAdmin?: boolean;
  roomJoin?: boolean;
  room?: string;
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
  canUpdateOwnMetadata?: boolean;
}

interface Claims extends JWTPayload {
  video?: VideoGrant;
  name?: string;
  metadata?: string;
}

export interface Fault {
  /** HTTP status and Twirp code to answer with (default 503 unavailable). */
  status?: number;
  code?: string;
  /** Hold the request this long before answering (a client deadline shorter than this times out). */
  delayMs?: number;
  /** How many calls it applies to (default: until cleared). */
  times?: number;
}

export interface FakeCall {
  method: string;
  body: Record<string, unknown>;
  grant?: VideoGrant;
}

interface WebhookDelivery {
  event: string;
  id: string;
  attempts: number;
  delivered: boolean;
}

const TWIRP_PREFIX = '/twirp/livekit.RoomService/';
/** LiveKit's server writes responses with proto field names and every field (xtwirp's protojson options). */
const WIRE = { useProtoFieldName: true, emitDefaultValues: true } as const;
const STATUS: Record<string, number> = { not_found: 404, unauthenticated: 401, invalid_argument: 400, permission_denied: 403, internal: 500, unavailable: 503, deadline_exceeded: 504, malformed: 400 };
const sid = (prefix: string) => `${prefix}_${randomBytes(6).toString('base64url')}`;
const nowS = () => BigInt(Math.floor(Date.now() / 1000));

class TwirpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeLivekit {
  readonly calls: FakeCall[] = [];
  readonly webhooks: WebhookDelivery[] = [];
  private readonly rooms = new Map<string, Room>();
  private readonly participants = new Map<string, Map<string, ParticipantInfo>>();
  private readonly faults = new Map<string, Fault>();
  private webhookFailures = 0;
  private server?: Server;
  port = 0;

  constructor(
    readonly opts: { apiKey: string; apiSecret: string; webhookUrl?: string; webhookRetries?: number; defaultEmptyTimeout?: number; defaultDepartureTimeout?: number },
  ) {}

  static async start(opts: ConstructorParameters<typeof FakeLivekit>[0]): Promise<FakeLivekit> {
    const fake = new FakeLivekit(opts);
    fake.server = createServer((req, res) => void fake.serve(req, res));
    await new Promise<void>((r) => fake.server!.listen(0, '127.0.0.1', r));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get url() {
    return `ws://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  // --- fault injection -----------------------------------------------------------------------

  /** Makes a method (or '*' for all) fail or stall. */
  fail(method: string, fault: Fault = {}): void {
    this.faults.set(method, fault);
  }

  clearFaults(): void {
    this.faults.clear();
    this.webhookFailures = 0;
  }

  /** The next `n` webhook deliveries get a connection reset, as if the receiver were down; LiveKit retries them. */
  dropWebhooks(n: number): void {
    this.webhookFailures = n;
  }

  setWebhookUrl(url: string | undefined): void {
    this.opts.webhookUrl = url;
  }

  // --- what a client SDK would do (join with a token, publish) ----------------------------------

  /** A client joins with an access token, as LiveKit's /rtc signal endpoint checks it. */
  async join(token: string): Promise<ParticipantInfo> {
    const claims = await this.verify(token).catch(() => {
      throw new TwirpError('unauthenticated', 'invalid token');
    });
    const v = claims.video;
    if (!v?.roomJoin || !v.room || !claims.sub) throw new TwirpError('unauthenticated', 'permissions denied');
    const room = this.rooms.get(v.room) ?? (await this.createRoom(new CreateRoomRequest({ name: v.room })));
    const inRoom = this.participantsOf(room.name);
    if (room.maxParticipants && inRoom.size >= room.maxParticipants && !inRoom.has(claims.sub)) throw new TwirpError('resource_exhausted', 'room is full');
    const p = new ParticipantInfo({
      sid: sid('PA'),
      identity: claims.sub,
      name: claims.name ?? '',
      metadata: claims.metadata ?? '',
      state: ParticipantInfo_State.ACTIVE,
      joinedAt: nowS(),
      joinedAtMs: BigInt(Date.now()),
      permission: new ParticipantPermission({ canSubscribe: v.canSubscribe ?? true, canPublish: v.canPublish ?? true, canPublishData: v.canPublishData ?? true, canUpdateMetadata: v.canUpdateOwnMetadata ?? false }),
      isPublisher: false,
    });
    inRoom.set(p.identity, p);
    room.numParticipants = inRoom.size;
    await this.emit('participant_joined', { room, participant: p });
    return p;
  }

  /** A joined client publishes a track (refused without canPublish, like LiveKit). */
  async publish(roomName: string, identity: string, kind: 'audio' | 'video' = 'video'): Promise<TrackInfo> {
    const p = this.requireParticipant(roomName, identity);
    if (!p.permission?.canPublish) throw new TwirpError('permission_denied', 'does not have permission to publish');
    const track = new TrackInfo({
      sid: sid('TR'),
      type: kind === 'audio' ? TrackType.AUDIO : TrackType.VIDEO,
      source: kind === 'audio' ? TrackSource.MICROPHONE : TrackSource.CAMERA,
      name: kind,
      muted: false,
    });
    p.tracks.push(track);
    p.isPublisher = true;
    await this.emit('track_published', { room: this.rooms.get(roomName), participant: p, track });
    return track;
  }

  /** A client leaves on its own. */
  async leave(roomName: string, identity: string): Promise<void> {
    const p = this.requireParticipant(roomName, identity);
    await this.dropParticipant(roomName, p);
  }

  /** A participant as the fake holds it (tests look at permissions and track states). */
  participant(roomName: string, identity: string): ParticipantInfo | undefined {
    return this.participants.get(roomName)?.get(identity);
  }

  hasRoom(name: string): boolean {
    return this.rooms.has(name);
  }

  // --- HTTP ----------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === 'GET' && req.url === '/') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      if (req.method !== 'POST' || !req.url?.startsWith(TWIRP_PREFIX)) return void this.twirpError(res, new TwirpError('bad_route', `no handler for path ${req.url}`), 404);
      const method = req.url.slice(TWIRP_PREFIX.length);
      const raw = await readAll(req);
      const fault = this.faults.get(method) ?? this.faults.get('*');
      if (fault) {
        if (fault.times !== undefined && --fault.times <= 0) this.faults.delete(this.faults.get(method) ? method : '*');
        if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
        if (fault.status !== 200) return void this.twirpError(res, new TwirpError(fault.code ?? 'unavailable', 'injected fault'), fault.status ?? 503);
      }
      // LiveKit's APIKeyAuthMiddleware: a malformed header or bad token never reaches Twirp.
      const header = req.headers.authorization;
      let grant: VideoGrant | undefined;
      if (header !== undefined) {
        if (!header.startsWith('Bearer ')) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('invalid authorization header. Must start with Bearer ');
        try {
          grant = (await this.verify(header.slice(7))).video ?? {};
        } catch (err) {
          return void res.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid token: ${(err as Error).message}`);
        }
      }
      let body: Record<string, unknown>;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return void this.twirpError(res, new TwirpError('malformed', 'the json request could not be decoded'));
      }
      this.calls.push({ method, body, grant });
      const out = await this.dispatch(method, body, grant);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    } catch (err) {
      if (err instanceof TwirpError) return void this.twirpError(res, err);
      this.twirpError(res, new TwirpError('internal', (err as Error).message));
    }
  }

  private twirpError(res: ServerResponse, err: TwirpError, status = STATUS[err.code] ?? 500): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: err.code, msg: err.message }));
  }

  private async dispatch(method: string, body: Record<string, unknown>, grant: VideoGrant | undefined): Promise<unknown> {
    const denied = () => new TwirpError('unauthenticated', 'permissions denied');
    const admin = (room: string) => {
      if (!grant?.roomAdmin || grant.room !== room) throw denied();
    };
    switch (method) {
      case 'CreateRoom': {
        if (!grant?.roomCreate) throw denied();
        return (await this.createRoom(CreateRoomRequest.fromJson(body as never, { ignoreUnknownFields: true }))).toJson(WIRE);
      }
      case 'ListRooms': {
        if (!grant?.roomList) throw denied();
        const { names } = ListRoomsRequest.fromJson(body as never, { ignoreUnknownFields: true });
        const rooms = [...this.rooms.values()].filter((r) => !names.length || names.includes(r.name));
        return new ListRoomsResponse({ rooms }).toJson(WIRE);
      }
      case 'DeleteRoom': {
        if (!grant?.roomCreate) throw denied();
        const { room } = DeleteRoomRequest.fromJson(body as never, { ignoreUnknownFields: true });
        if (!this.rooms.has(room)) throw new TwirpError('not_found', 'requested room does not exist');
        await this.deleteRoom(room);
        return new DeleteRoomResponse().toJson(WIRE);
      }
      case 'ListParticipants': {
        const { room } = ListParticipantsRequest.fromJson(body as never, { ignoreUnknownFields: true });
        admin(room);
        return new ListParticipantsResponse({ participants: [...(this.participants.get(room)?.values() ?? [])] }).toJson(WIRE);
      }
      case 'GetParticipant': {
        const { room, identity } = RoomParticipantIdentity.fromJson(body as never, { ignoreUnknownFields: true });
        admin(room);
        return this.requireParticipant(room, identity).toJson(WIRE);
      }
      case 'RemoveParticipant': {
        const { room, identity } = RoomParticipantIdentity.fromJson(body as never, { ignoreUnknownFields: true });
        admin(room);
        await this.dropParticipant(room, this.requireParticipant(room, identity));
        return new RemoveParticipantResponse().toJson(WIRE);
      }
      case 'MutePublishedTrack': {
        const req = MuteRoomTrackRequest.fromJson(body as never, { ignoreUnknownFields: true });
        admin(req.room);
        const p = this.requireParticipant(req.room, req.identity);
        const track = p.tracks.find((t) => t.sid === req.trackSid);
        if (!track) throw new TwirpError('not_found', 'track is not found');
        // LiveKit lets an admin mute, never unmute, a remote track (the client decides to unmute).
        if (req.muted) track.muted = true;
        await this.emit(req.muted ? 'track_muted' : 'track_unmuted', { room: this.rooms.get(req.room), participant: p, track }, false);
        return new MuteRoomTrackResponse({ track }).toJson(WIRE);
      }
      case 'UpdateParticipant': {
        const req = UpdateParticipantRequest.fromJson(body as never, { ignoreUnknownFields: true });
        admin(req.room);
        const p = this.requireParticipant(req.room, req.identity);
        if (req.metadata) p.metadata = req.metadata;
        if (req.name) p.name = req.name;
        if (req.permission) {
          p.permission = req.permission;
          // LiveKit (rtc/participant.go SetPermission): revoking publish removes the published tracks.
          if (!req.permission.canPublish) {
            const removed = p.tracks.splice(0);
            for (const track of removed) await this.emit('track_unpublished', { room: this.rooms.get(req.room), participant: p, track });
          }
        }
        return p.toJson(WIRE);
      }
      case 'SendData': {
        const req = SendDataRequest.fromJson(body as never, { ignoreUnknownFields: true });
        admin(req.room);
        return new SendDataResponse().toJson(WIRE);
      }
      case 'UpdateRoomMetadata': {
        const req = UpdateRoomMetadataRequest.fromJson(body as never, { ignoreUnknownFields: true });
        admin(req.room);
        const room = this.rooms.get(req.room);
        if (!room) throw new TwirpError('not_found', 'requested room does not exist');
        room.metadata = req.metadata;
        return room.toJson(WIRE);
      }
      default:
        throw new TwirpError('bad_route', `no handler for path ${TWIRP_PREFIX}${method}`);
    }
  }

  // --- state ---------------------------------------------------------------------------------

  private async createRoom(req: CreateRoomRequest): Promise<Room> {
    const existing = this.rooms.get(req.name);
    if (existing) return existing;
    const room = new Room({
      sid: sid('RM'),
      name: req.name,
      emptyTimeout: req.emptyTimeout || this.opts.defaultEmptyTimeout || 300,
      departureTimeout: req.departureTimeout || this.opts.defaultDepartureTimeout || 20,
      maxParticipants: req.maxParticipants,
      creationTime: nowS(),
      creationTimeMs: BigInt(Date.now()),
      metadata: req.metadata,
    });
    this.rooms.set(room.name, room);
    await this.emit('room_started', { room });
    return room;
  }

  private async deleteRoom(name: string): Promise<void> {
    const room = this.rooms.get(name)!;
    for (const p of [...this.participantsOf(name).values()]) await this.dropParticipant(name, p);
    this.rooms.delete(name);
    this.participants.delete(name);
    await this.emit('room_finished', { room });
  }

  private async dropParticipant(roomName: string, p: ParticipantInfo): Promise<void> {
    this.participantsOf(roomName).delete(p.identity);
    const room = this.rooms.get(roomName);
    if (room) room.numParticipants = this.participantsOf(roomName).size;
    p.state = ParticipantInfo_State.DISCONNECTED;
    for (const track of p.tracks) await this.emit('track_unpublished', { room, participant: p, track });
    await this.emit('participant_left', { room, participant: p });
  }

  private participantsOf(room: string): Map<string, ParticipantInfo> {
    let m = this.participants.get(room);
    if (!m) this.participants.set(room, (m = new Map()));
    return m;
  }

  private requireParticipant(room: string, identity: string): ParticipantInfo {
    const p = this.participants.get(room)?.get(identity);
    if (!p) throw new TwirpError('not_found', 'participant does not exist');
    return p;
  }

  private async verify(token: string): Promise<Claims> {
    const { payload } = await jwtVerify<Claims>(token, new TextEncoder().encode(this.opts.apiSecret), { issuer: this.opts.apiKey, algorithms: ['HS256'] });
    return payload;
  }

  // --- webhooks --------------------------------------------------------------------------------

  /**
   * Queues one webhook like LiveKit's URLNotifier: delivered in order, one at a time, after the
   * API call that caused it has answered (never inside it). `idle()` waits for the queue.
   */
  async emit(event: string, fields: Partial<Pick<WebhookEvent, 'room' | 'participant' | 'track'>>, send = true): Promise<void> {
    if (!send || !this.opts.webhookUrl) return;
    // Snapshot now: later changes to the participant must not leak into this event.
    const ev = new WebhookEvent({ event, id: sid('EV'), createdAt: nowS(), ...fields }).clone();
    this.queue = this.queue.then(() => this.deliver(ev).then(() => undefined));
  }

  private queue: Promise<void> = Promise.resolve();

  /** Resolves when every queued webhook was delivered (or given up). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Sends an event as LiveKit would, retrying with the same id (the body is signed per attempt, like a re-sent request). */
  async deliver(ev: WebhookEvent, attempts = (this.opts.webhookRetries ?? 3) + 1): Promise<WebhookDelivery> {
    const record: WebhookDelivery = { event: ev.event, id: ev.id, attempts: 0, delivered: false };
    this.webhooks.push(record);
    const body = ev.toJsonString();
    if (!this.opts.webhookUrl) return record;
    for (let i = 0; i < attempts && !record.delivered; i++) {
      record.attempts++;
      if (this.webhookFailures > 0) {
        this.webhookFailures--;
        continue;
      }
      try {
        const res = await fetch(this.opts.webhookUrl!, { method: 'POST', headers: { authorization: await this.signWebhook(body), 'content-type': 'application/webhook+json' }, body });
        await res.arrayBuffer();
        record.delivered = res.ok;
      } catch {
        /* retried */
      }
    }
    return record;
  }

  /** The `Authorization` value LiveKit puts on a webhook: a JWT (no "Bearer") whose sha256 claim covers the body. */
  signWebhook(body: string, opts: { secret?: string; expiresInS?: number } = {}): Promise<string> {
    const sha256 = createHash('sha256').update(body).digest('base64');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ sha256, video: {} })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.opts.apiKey)
      .setNotBefore(now - (opts.expiresInS !== undefined && opts.expiresInS < 0 ? 600 : 0))
      .setExpirationTime(now + (opts.expiresInS ?? 300))
      .sign(new TextEncoder().encode(opts.secret ?? this.opts.apiSecret));
  }
}

function readAll(req: IncomingMessage, max = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) return reject(new TwirpError('invalid_argument', 'request too large'));
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
