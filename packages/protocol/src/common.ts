import { z } from 'zod';

/** Ids that travel in subjects and keys: no dots, wildcards or whitespace. */
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must match [A-Za-z0-9_-]');

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
};

/** Stored text: Postgres cannot hold U+0000, so it is refused up front (bad_request, not internal). */
/** What a `signal` carries: the command's `kind`, echoed in the `signal` and `signal.failed` events. */
export const SignalKind = z.enum(['offer', 'answer', 'ice', 'bye', 'custom']);

export const Text = (min: number, max: number) => z.string().min(min).max(max).refine((s) => !s.includes('\u0000'), 'must not contain U+0000');
/**
 * UTF-8 length of a string, counted without encoding it (no allocation; it runs on every
 * broadcast and chat message). A surrogate pair is 4 bytes, 2 per half; JSON.stringify output
 * has no lone surrogates (it escapes them), elsewhere one counts as TextEncoder's U+FFFD would (3).
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/** UTF-8 bytes of a value as JSON (undefined counts as nothing). */
export const jsonSize = (value: unknown): number => {
  const s = JSON.stringify(value);
  return s === undefined ? 0 : utf8Length(s);
};

/**
 * Size caps of what clients store or fan out (part of the protocol: both sides import them).
 * Replies that list many such items are paged by a byte budget (`hasMore` / cursors), so no
 * reply outgrows the bus (NATS max_payload, 1 MiB).
 */
export const LIMITS = {
  /** `metadata` of a room, as JSON. */
  roomMetadataBytes: 8 * 1024,
  /** A chat message's text plus its attachments, as JSON. */
  chatMessageBytes: 16 * 1024,
  /** `data` of a `room.broadcast`, as JSON. */
  broadcastBytes: 16 * 1024,
  /** Named channels a room may have (archived ones count); servers may allow fewer. Also bounds `channel.reorder`. */
  channelsPerRoom: 100,
  /** Custom emoji a room may have; servers may allow fewer. */
  emojiPerRoom: 200,
} as const;

/**
 * A channel name: 1–32 lowercase letters (any script), digits, `-` and `_`, starting with a
 * letter or digit (no spaces or capitals, so names are unambiguous, as in Discord/Slack).
 */
export const CHANNEL_NAME = /^[\p{Ll}\p{Lo}\p{N}][\p{Ll}\p{Lo}\p{N}_-]{0,31}$/u;
export const ChannelName = z.string().max(32).regex(CHANNEL_NAME, 'must be 1-32 lowercase letters, digits, - or _, starting with a letter or digit');

/** A custom emoji's name (used as `:name:`): 2–32 of a-z, 0-9, `_` and `-`, starting with a letter or digit. */
export const EMOJI_NAME = /^[a-z0-9][a-z0-9_-]{1,31}$/;
export const EmojiName = z.string().max(32).regex(EMOJI_NAME, 'must be 2-32 of a-z, 0-9, _ or -, starting with a letter or digit');

/** The custom emoji name a reaction names (`:party_parrot:` → `party_parrot`), or undefined for any other emoji. */
export function customEmojiName(emoji: string): string | undefined {
  const m = /^:([^:]+):$/.exec(emoji);
  return m && EMOJI_NAME.test(m[1]) ? m[1] : undefined;
}

/** At most `max` bytes as JSON. */
export const maxJsonBytes = (max: number) => [(v: unknown) => jsonSize(v) <= max, `must be at most ${max} bytes as JSON`] as const;

/** Application metadata stored as JSON: any object without U+0000 in its keys or strings, at most LIMITS.roomMetadataBytes. */
export const Json = z
  .record(z.string(), z.unknown())
  .refine((v) => !hasNul(v), 'must not contain U+0000')
  .refine(...maxJsonBytes(LIMITS.roomMetadataBytes));
