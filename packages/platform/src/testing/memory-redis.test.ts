// An in-memory stand-in for the sorted-set subset of ioredis that DueStore uses (zadd, zrem,
// zscore, zrange, zcard, and its two Lua scripts), for the unit tier. due.store.cases.test.ts
// runs the same cases against it and the real Redis, so where the two differ the fake is wrong.
import type { Redis } from 'ioredis';

export class MemoryRedis {
  private readonly sets = new Map<string, Map<string, number>>();

  private set(key: string): Map<string, number> {
    let s = this.sets.get(key);
    if (!s) this.sets.set(key, (s = new Map()));
    return s;
  }

  private sorted(key: string): [string, number][] {
    return [...this.set(key).entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  }

  async zadd(key: string, score: number | string, member: string): Promise<number> {
    const s = this.set(key);
    const added = s.has(member) ? 0 : 1;
    s.set(member, Number(score));
    return added;
  }

  async zrem(key: string, member: string): Promise<number> {
    return this.set(key).delete(member) ? 1 : 0;
  }

  async zscore(key: string, member: string): Promise<string | null> {
    const v = this.set(key).get(member);
    return v === undefined ? null : String(v);
  }

  async zcard(key: string): Promise<number> {
    return this.set(key).size;
  }

  async zrange(key: string, start: number, stop: number): Promise<string[]> {
    const all = this.sorted(key).map(([m]) => m);
    return all.slice(start, stop === -1 ? undefined : stop + 1);
  }

  /** The two DueStore scripts, recognised by the commands they run (the real Redis runs the Lua). */
  async eval(script: string, _keys: number, key: string, ...args: (string | number)[]): Promise<unknown> {
    if (script.includes('ZRANGEBYSCORE')) {
      const [now, limit, leaseUntil] = args.map(Number);
      const due = this.sorted(key)
        .filter(([, score]) => score <= now)
        .slice(0, limit)
        .map(([m]) => m);
      for (const m of due) this.set(key).set(m, leaseUntil);
      return due;
    }
    if (script.includes('ZSCORE')) {
      const [member, leaseUntil] = args;
      const score = this.set(key).get(String(member));
      if (score !== undefined && score === Number(leaseUntil)) return this.zrem(key, String(member));
      return 0;
    }
    throw new Error('MemoryRedis: unknown script');
  }

  async quit(): Promise<'OK'> {
    return 'OK';
  }

  asRedis(): Redis {
    return this as unknown as Redis;
  }
}
