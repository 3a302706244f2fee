import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import { notFound, ProtocolError, unavailable } from '@switchboard/protocol';
import { RoomServiceClient, ServerError, TrackSource, type ParticipantInfo, type ParticipantPermission, type Room } from 'livekit-server-sdk';
import { livekitSettings, type MediaConfig } from '../config.js';
import { NoSfu } from './sfu.access.js';
import { SfuMetrics } from './sfu.metrics.js';

/** The slice of LiveKit's RoomService the media service uses (an interface, so the seam is explicit). */
export interface RoomOptions {
  name: string;
  maxParticipants: number;
  emptyTimeout: number;
  departureTimeout: number;
}

export { TrackSource, type ParticipantInfo, type Room };

/**
 * LiveKit's Twirp RoomService through `livekit-server-sdk`, with a deadline per call, metrics,
 * and LiveKit's errors turned into typed protocol errors: `not_found` stays `not_found`, a
 * LiveKit that is down, slow or failing (5xx, timeouts, refused connections) is `unavailable`,
 * anything else (e.g. our credentials refused) is `internal` and logged.
 */
@Injectable()
export class LivekitClient {
  private readonly client?: RoomServiceClient;

  constructor(
    @Inject(CONFIG) private readonly config: MediaConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: SfuMetrics,
  ) {
    const s = livekitSettings(config);
    if (s) this.client = new RoomServiceClient(s.apiUrl, s.apiKey, s.apiSecret, { requestTimeout: config.LIVEKIT_REQUEST_TIMEOUT_MS / 1000, failover: false });
  }

  get configured(): boolean {
    return !!this.client;
  }

  /** LiveKit's CreateRoom is get-or-create: an existing room is returned as it is. */
  createRoom(o: RoomOptions): Promise<Room> {
    return this.call('CreateRoom', (c) => c.createRoom(o));
  }

  deleteRoom(room: string): Promise<void> {
    return this.call('DeleteRoom', (c) => c.deleteRoom(room));
  }

  listRooms(names?: string[]): Promise<Room[]> {
    return this.call('ListRooms', (c) => c.listRooms(names));
  }

  listParticipants(room: string): Promise<ParticipantInfo[]> {
    return this.call('ListParticipants', (c) => c.listParticipants(room));
  }

  removeParticipant(room: string, identity: string): Promise<void> {
    return this.call('RemoveParticipant', (c) => c.removeParticipant(room, identity));
  }

  mutePublishedTrack(room: string, identity: string, trackSid: string, muted: boolean): Promise<unknown> {
    return this.call('MutePublishedTrack', (c) => c.mutePublishedTrack(room, identity, trackSid, muted));
  }

  /** Permissions are replaced as a whole (LiveKit's semantics): pass every flag that should hold. */
  updatePermission(room: string, identity: string, permission: Partial<ParticipantPermission>): Promise<ParticipantInfo> {
    return this.call('UpdateParticipant', (c) => c.updateParticipant(room, identity, { permission }));
  }

  private async call<T>(method: string, fn: (c: RoomServiceClient) => Promise<T>): Promise<T> {
    if (!this.client) throw new NoSfu(this.config.LIVEKIT_UNAVAILABLE_REASON).error();
    const end = this.metrics.apiSeconds.startTimer({ method });
    try {
      const result = await fn(this.client);
      end({ result: 'ok' });
      return result;
    } catch (err) {
      const mapped = this.mapError(method, err);
      end({ result: mapped.code });
      throw mapped;
    }
  }

  private mapError(method: string, err: unknown): ProtocolError {
    if (err instanceof ServerError) {
      const code = err.code ?? String(err.status);
      this.metrics.apiErrors.inc({ method, code });
      if (err.status === 404) return notFound(`LiveKit: ${err.message}`);
      if (err.status >= 500 || err.status === 429 || err.status === 408) return unavailable(`LiveKit ${method} failed (${err.status} ${code})`);
      this.logger.error({ method, status: err.status, code, msg: err.message }, 'LiveKit refused a call');
      return new ProtocolError('internal', `LiveKit ${method} refused (${err.status} ${code})`);
    }
    const name = (err as Error)?.name;
    const code = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    this.metrics.apiErrors.inc({ method, code });
    this.logger.warn({ method, err }, 'LiveKit did not answer');
    return unavailable(code === 'timeout' ? `LiveKit ${method} timed out` : `LiveKit is unreachable (${method})`);
  }
}
