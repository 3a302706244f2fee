import { Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { CONFIG, createPrismaClient, Readiness } from '@switchboard/platform';
import type { RoomsConfig } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';

export { PrismaClient };

/**
 * Interactive transaction limits. Prisma's defaults (2 s to get a connection, 5 s to finish)
 * turn a briefly saturated host into `internal` errors; a command's own timeout is the bound.
 */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

export const prismaProvider: Provider = {
  provide: PrismaClient,
  inject: [CONFIG],
  useFactory: (config: RoomsConfig) => createPrismaClient(PrismaClient, config.DATABASE_URL),
};

/** Registers the Postgres readiness check and closes the pool after handlers have drained. */
@Injectable()
export class PrismaLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly prisma: PrismaClient,
    readiness: Readiness,
  ) {
    readiness.add('postgres', async () => (await this.prisma.$queryRaw`SELECT 1`) !== undefined);
  }

  async onApplicationShutdown() {
    await this.prisma.$disconnect();
  }
}
