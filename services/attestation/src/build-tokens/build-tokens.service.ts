import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { newId } from '@switchboard/platform';
import { notFound } from '@switchboard/protocol';
import { BuildTokensStore, type BuildTokenRow } from './build-tokens.store.js';

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
/** Most tokens one list call returns. */
export const BUILD_TOKEN_LIST_LIMIT = 500;

/** Build tokens: created per platform + version, shown once, revocable. */
@Injectable()
export class BuildTokensService {
  constructor(private readonly store: BuildTokensStore) {}

  async create(platform: string, version: string, label: string): Promise<{ row: BuildTokenRow; token: string }> {
    const token = `sbt_${randomBytes(32).toString('base64url')}`;
    const row = await this.store.create({ id: newId('bt'), platform, version, label, tokenHash: hashToken(token), createdAt: new Date() });
    return { row, token };
  }

  list(platform?: string): Promise<BuildTokenRow[]> {
    return this.store.list(platform, BUILD_TOKEN_LIST_LIMIT);
  }

  async revoke(id: string): Promise<BuildTokenRow> {
    const row = await this.store.revoke(id, new Date());
    if (!row) throw notFound('no such build token');
    return row;
  }

  /** The token row for a presented secret, or null (unknown). */
  find(token: string): Promise<BuildTokenRow | null> {
    return this.store.byHash(hashToken(token));
  }
}
