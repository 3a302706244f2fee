import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../db/prisma.provider.js';

export interface BuildTokenRow {
  id: string;
  platform: string;
  version: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const PUBLIC = { id: true, platform: true, version: true, label: true, createdAt: true, revokedAt: true } as const;

/** Build tokens in Postgres: only the SHA-256 of each secret is stored. */
@Injectable()
export class BuildTokensStore {
  constructor(private readonly prisma: PrismaClient) {}

  create(row: Omit<BuildTokenRow, 'revokedAt'> & { tokenHash: string }): Promise<BuildTokenRow> {
    return this.prisma.buildToken.create({ data: row, select: PUBLIC });
  }

  byHash(tokenHash: string): Promise<BuildTokenRow | null> {
    return this.prisma.buildToken.findUnique({ where: { tokenHash }, select: PUBLIC });
  }

  byId(id: string): Promise<BuildTokenRow | null> {
    return this.prisma.buildToken.findUnique({ where: { id }, select: PUBLIC });
  }

  list(platform: string | undefined, limit: number): Promise<BuildTokenRow[]> {
    return this.prisma.buildToken.findMany({ where: platform ? { platform } : {}, orderBy: { createdAt: 'desc' }, take: limit, select: PUBLIC });
  }

  /** Sets revokedAt once; returns the row (revoked earlier or now), null when unknown. */
  async revoke(id: string, at: Date): Promise<BuildTokenRow | null> {
    await this.prisma.buildToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return this.byId(id);
  }
}
