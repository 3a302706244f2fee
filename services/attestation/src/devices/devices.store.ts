import { Injectable } from '@nestjs/common';
import { PrismaClient } from '../db/prisma.provider.js';

export interface DeviceRow {
  id: string;
  buildTokenId: string;
  platform: string;
  version: string;
  publicKey: string;
  /** Of its build token: a revoked token disables its devices. */
  revoked: boolean;
}

/** Registered devices in Postgres. */
@Injectable()
export class DevicesStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(d: Omit<DeviceRow, 'revoked'>): Promise<void> {
    await this.prisma.device.create({ data: { ...d, createdAt: new Date() } });
  }

  async byId(id: string): Promise<DeviceRow | null> {
    const d = await this.prisma.device.findUnique({ where: { id }, include: { buildToken: { select: { revokedAt: true } } } });
    if (!d) return null;
    return { id: d.id, buildTokenId: d.buildTokenId, platform: d.platform, version: d.version, publicKey: d.publicKey, revoked: d.buildToken.revokedAt !== null };
  }

  async verified(id: string): Promise<void> {
    await this.prisma.device.updateMany({ where: { id }, data: { lastVerifiedAt: new Date() } });
  }
}
