import { Injectable } from '@nestjs/common';
import { DueStore, DueTimers, Redis } from '@switchboard/platform';
import type { CallState } from './calls.view.js';

const callKey = (callId: string) => `sb:{media:calls}:call:${callId}`;
/** One live call per room, one per user (as a leg), one per connection: value = the call id. */
export const roomClaim = (roomId: string) => `sb:{media:calls}:room:${roomId}:call`;
export const userClaim = (userId: string) => `sb:{media:calls}:user:${userId}:call`;
export const connClaim = (connectionId: string) => `sb:{media:calls}:conn:${connectionId}:call`;


/**
 * Writes a call and its claims atomically, guarded by the call's version:
 * KEYS[1] = call; KEYS[2 .. 1+n] = claims to take; the rest = claims to give back.
 * ARGV: expected version ('' = the call must not exist), new JSON ('' = delete the call),
 * call id, ttl ms, n.
 * Returns {'ok'} | {'stale'} | {'gone'} | {'taken', key, holder}. A claim held by this call
 * already is fine; one held by another call refuses the whole write.
 */
const COMMIT_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur then return {'stale'} end
else
  if not cur then return {'gone'} end
  if tostring(cjson.decode(cur).version) ~= ARGV[1] then return {'stale'} end
end
local n = tonumber(ARGV[5])
for i = 2, 1 + n do
  local holder = redis.call('GET', KEYS[i])
  if holder and holder ~= ARGV[3] then return {'taken', KEYS[i], holder} end
end
for i = 2, 1 + n do redis.call('SET', KEYS[i], ARGV[3], 'PX', ARGV[4]) end
for i = 2 + n, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[3] then redis.call('DEL', KEYS[i]) end
end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4]) end
return {'ok'}
`;

export type CommitResult = { ok: true } | { ok: false; why: 'stale' | 'gone' } | { ok: false; why: 'taken'; key: string; holder: string };

/**
 * Live calls in Redis, shared by every media replica. Each change is a compare-and-set on the
 * call's version together with its claims (room, users, connections), so two replicas racing
 * (an accept against the ring timeout, two devices answering) never both win.
 */
@Injectable()
export class CallsStore {
  /** A call's next deadline: the ring timeout, then the maximum duration (member: call id). */
  readonly deadlines: DueTimers;
  /** Legs whose connection vanished, due when their grace is over (member: connection id). */
  readonly legsGone: DueTimers;

  constructor(
    private readonly redis: Redis,
    due: DueStore,
  ) {
    this.deadlines = new DueTimers(due, 'sb:media:calls:deadlines');
    this.legsGone = new DueTimers(due, 'sb:media:calls:legs_gone');
  }

  async get(callId: string): Promise<CallState | null> {
    const raw = await this.redis.get(callKey(callId));
    return raw ? (JSON.parse(raw) as CallState) : null;
  }

  /** The call id a claim points at (room, user or connection). */
  holder(claim: string): Promise<string | null> {
    return this.redis.get(claim);
  }

  /** Writes `next` if the stored call is still `prev` (or absent, when `prev` is null); `next` null deletes it. */
  async commit(prev: CallState | null, next: CallState | null, claims: { take?: string[]; release?: string[] }, ttlMs: number): Promise<CommitResult> {
    const id = (next ?? prev)!.id;
    const take = claims.take ?? [];
    const keys = [callKey(id), ...take, ...(claims.release ?? [])];
    const args = [prev ? String(prev.version) : '', next ? JSON.stringify(next) : '', id, String(Math.ceil(ttlMs)), String(take.length)];
    const [status, key, holder] = (await this.redis.eval(COMMIT_SCRIPT, keys.length, ...keys, ...args)) as string[];
    if (status === 'ok') return { ok: true };
    if (status === 'taken') return { ok: false, why: 'taken', key, holder };
    return { ok: false, why: status as 'stale' | 'gone' };
  }
}
