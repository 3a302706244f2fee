import type * as proto from '@switchboard/proto';
import { TrackSource, TrackType, type ParticipantInfo, type TrackInfo } from 'livekit-server-sdk';

/** A LiveKit identity names the Switchboard user and the connection that asked for the token. */
export const identityOf = (userId: string, connectionId: string) => `${userId}:${connectionId}`;

/** The user and connection behind an identity we minted; null for identities that are not ours. */
export function parseIdentity(identity: string): { userId: string; connectionId: string } | null {
  const m = /^([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_-]{1,64})$/.exec(identity);
  return m ? { userId: m[1], connectionId: m[2] } : null;
}

/** What a token carries in the participant's metadata (signed, and clients may not change it: no canUpdateOwnMetadata). */
export interface TokenMetadata {
  userId: string;
  connectionId: string;
  /** The user's access epoch in the room when the token was minted (ADR 0005). */
  epoch: number;
}

export function parseTokenMetadata(metadata: string | undefined): TokenMetadata | null {
  try {
    const m = JSON.parse(metadata ?? '') as Partial<TokenMetadata>;
    return typeof m.epoch === 'number' && typeof m.userId === 'string' && typeof m.connectionId === 'string' ? (m as TokenMetadata) : null;
  } catch {
    return null;
  }
}

export const trackKind = (t: TrackInfo | undefined) => (t?.type === TrackType.AUDIO ? 'audio' : t?.type === TrackType.VIDEO ? 'video' : t?.type === TrackType.DATA ? 'data' : 'unknown');
export const trackSource = (t: TrackInfo | undefined) => (TrackSource[t?.source ?? TrackSource.UNKNOWN] ?? 'UNKNOWN').toLowerCase();

export function toProtoSfuParticipant(p: ParticipantInfo): proto.media.SfuParticipant {
  const who = parseIdentity(p.identity);
  return {
    identity: p.identity,
    participantSid: p.sid,
    userId: who?.userId ?? '',
    connectionId: who?.connectionId ?? '',
    name: p.name,
    joinedAt: Number(p.joinedAt) * 1000,
    canPublish: p.permission?.canPublish ?? false,
    tracks: p.tracks.map((t) => ({ trackSid: t.sid, kind: trackKind(t), source: trackSource(t), muted: t.muted })),
  };
}
