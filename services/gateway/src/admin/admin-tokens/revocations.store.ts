import { Injectable } from '@nestjs/common';
import { Redis } from '@switchboard/platform';

const revokedKey = (jti: string) => `sb:admin:revoked:${jti}`;

/**
 * Revoked admin token ids in Redis, shared by every gateway replica. Each entry lives as
 * long as the longest admin token could (ADMIN_JWT_MAX_TTL_S), so the list never grows past
 * the tokens that could still be presented.
 */
@Injectable()
export class RevocationsStore {
  constructor(private readonly redis: Redis) {}

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(revokedKey(jti), '1', 'EX', ttlSeconds);
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.redis.exists(revokedKey(jti))) === 1;
  }
}
