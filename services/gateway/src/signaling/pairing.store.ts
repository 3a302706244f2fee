import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

/** No 0/O, 1/I/L: codes are read aloud and typed on phones. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 6;
/** Codes die with their connection; the TTL only bounds what a crashed gateway leaves behind. */
const CODE_TTL_S = 24 * 3600;
const REQUEST_TTL_S = 300;

export interface PairCode {
  code: string;
  connectionId: string;
  userId: string;
  publicKey?: string;
}

export interface PairRequest {
  requestId: string;
  from: string;
  fromUser: string;
  fromPublicKey?: string;
  to: string;
  toUser: string;
}

const codeKey = (code: string) => `sb:pair:code:${code}`;
const connKey = (connectionId: string) => `sb:pair:conn:${connectionId}`;
const requestKey = (id: string) => `sb:pair:req:${id}`;

export function newPairCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** Pairing codes and pending requests in Redis, so codes are unique across replicas. */
@Injectable()
export class PairingStore {
  constructor(private readonly redis: Redis) {}

  async codeOf(connectionId: string): Promise<string | null> {
    return this.redis.get(connKey(connectionId));
  }

  /** Claims a fresh code atomically (SET NX); retries on the rare collision. */
  async register(entry: Omit<PairCode, 'code'>): Promise<PairCode> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const code = newPairCode();
      const ok = await this.redis.set(codeKey(code), JSON.stringify({ ...entry, code }), 'EX', CODE_TTL_S, 'NX');
      if (ok) {
        await this.redis.set(connKey(entry.connectionId), code, 'EX', CODE_TTL_S);
        return { ...entry, code };
      }
    }
    throw new Error('could not allocate a pairing code');
  }

  async update(entry: PairCode): Promise<void> {
    await this.redis.set(codeKey(entry.code), JSON.stringify(entry), 'EX', CODE_TTL_S);
  }

  async lookup(code: string): Promise<PairCode | undefined> {
    const raw = await this.redis.get(codeKey(code.toUpperCase()));
    return raw ? (JSON.parse(raw) as PairCode) : undefined;
  }

  async release(connectionId: string): Promise<void> {
    const code = await this.redis.get(connKey(connectionId));
    // One key per call: the two keys are in different slots of a Redis Cluster.
    if (code) await Promise.all([this.redis.del(codeKey(code)), this.redis.del(connKey(connectionId))]);
  }

  async saveRequest(req: PairRequest): Promise<void> {
    await this.redis.set(requestKey(req.requestId), JSON.stringify(req), 'EX', REQUEST_TTL_S);
  }

  /** Reads and deletes a request: each is answered once. */
  async takeRequest(requestId: string): Promise<PairRequest | undefined> {
    const raw = await this.redis.getdel(requestKey(requestId));
    return raw ? (JSON.parse(raw) as PairRequest) : undefined;
  }

  async peekRequest(requestId: string): Promise<PairRequest | undefined> {
    const raw = await this.redis.get(requestKey(requestId));
    return raw ? (JSON.parse(raw) as PairRequest) : undefined;
  }
}
