import { Module } from '@nestjs/common';
import { prismaModule, PrismaClient } from './prisma.provider.js';
import { SqlPool } from './sql.pool.js';

/** Postgres for the domains' stores: one Prisma client and one node-postgres pool per replica (shared infra, not a domain). */
@Module({ providers: [...prismaModule, SqlPool], exports: [PrismaClient, SqlPool] })
export class DbModule {}
