/** Shapes the server sends; the normative field list lives in docs/protocol.md. */
export interface RoomView {
  id: string;
  name: string;
  description: string;
  kind: 'p2p' | 'sfu' | 'group';
  joinPolicy: 'open' | 'approval';
  visibility: 'public' | 'private';
  ownerId: string;
  maxParticipants: number;
  participantCount: number;
  createdAt: number;
  metadata: Record<string, unknown>;
  /** Broadcasts are kept for `session.resume` (with a seq) instead of live only. */
  replayEphemeral: boolean;
}

export interface ParticipantView {
  userId: string;
  connectionId: string;
  name: string;
  role: 'owner' | 'moderator' | 'member';
  muted: boolean;
  joinedAt: number;
}

export interface IceServerView {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface HelloData {
  connectionId: string;
  userId: string;
  sessionId: string;
  heartbeatMs: number;
  iceServers: IceServerView[];
  limits: { maxFrameBytes: number; ratePerSec: number; burst: number };
  server: { version: string; node: string };
  /** Present when the upgrade carried a valid attestation token: the build it names and what to update to. */
  attestation?: { platform: string; version: string; recommended: string | null; updateRecommended: boolean };
}

export interface ServerEvent<D = Record<string, unknown>> {
  type: string;
  room?: string;
  seq?: number;
  ts: number;
  data: D;
}

export interface ReplyFrame<D = Record<string, unknown>> {
  re: string;
  type: string;
  data?: D;
  error?: { code: string; message: string; retryAfterMs?: number; [k: string]: unknown };
}
