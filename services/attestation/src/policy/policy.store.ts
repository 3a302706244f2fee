import { Injectable } from '@nestjs/common';
import type { VersionPolicyView } from '@switchboard/protocol';
import { PrismaClient } from '../db/prisma.provider.js';

const toView = (r: { platform: string; minimum: string; blocked: unknown; recommended: string; updatedAt: Date }): VersionPolicyView => ({
  platform: r.platform,
  minimum: r.minimum || null,
  blocked: Array.isArray(r.blocked) ? r.blocked.filter((v): v is string => typeof v === 'string') : [],
  recommended: r.recommended || null,
  updatedAt: r.updatedAt.getTime(),
});

/** Version policy per platform in Postgres. */
@Injectable()
export class PolicyStore {
  constructor(private readonly prisma: PrismaClient) {}

  async all(): Promise<VersionPolicyView[]> {
    return (await this.prisma.versionPolicy.findMany({ orderBy: { platform: 'asc' } })).map(toView);
  }

  async set(p: Omit<VersionPolicyView, 'updatedAt'>): Promise<VersionPolicyView> {
    const data = { minimum: p.minimum ?? '', blocked: p.blocked, recommended: p.recommended ?? '', updatedAt: new Date() };
    return toView(await this.prisma.versionPolicy.upsert({ where: { platform: p.platform }, create: { platform: p.platform, ...data }, update: data }));
  }

  async delete(platform: string): Promise<boolean> {
    return (await this.prisma.versionPolicy.deleteMany({ where: { platform } })).count > 0;
  }
}
