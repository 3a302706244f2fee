/**
 * Typing indicators that lapse (`chat.typing` with `typing:false` after TYPING_TTL_MS): one
 * sorted set, score = when an indicator lapses. Written by whoever accepts a `chat.typing`
 * (the gateway for the default channel, rooms for a named channel; ADR 0062) and swept by
 * rooms, so the set's name and member format are shared here.
 */
export const TYPING_DUE = 'sb:rooms:typing_due';

/** `roomId:userId[:channelId]` ("" is the default channel); ids never contain ':' (protocol Id), so it splits back unambiguously. */
export const typingMember = (roomId: string, userId: string, channelId = ''): string => (channelId ? `${roomId}:${userId}:${channelId}` : `${roomId}:${userId}`);

export function parseTypingMember(member: string): { roomId: string; userId: string; channelId: string } {
  const [roomId = '', userId = '', channelId = ''] = member.split(':');
  return { roomId, userId, channelId };
}
