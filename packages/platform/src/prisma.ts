import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { CONFIG } from './platform.js';
import { Readiness } from './readiness.js';

/**
 * Builds a service's engine-free Prisma client on node-postgres. The client class comes from
 * the service's own generated code, so each service keeps its own schema.
 */
export function createPrismaClient<T>(Client: new (opts: { adapter: PrismaPg }) => T, databaseUrl: string): T {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return new Client({ adapter: new PrismaPg({ connectionString: url.toString(), max: 10 }, schema ? { schema } : undefined) });
}

interface PrismaLike {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
  $disconnect(): Promise<void>;
}

/**
 * Nest providers for a service's Prisma client (its own generated class, injectable by that
 * class): the client on the service's `DATABASE_URL`, a `postgres` readiness check, and the
 * pool closed once handlers have drained.
 */
export function prismaProviders<T extends PrismaLike>(Client: new (opts: { adapter: PrismaPg }) => T): Provider[] {
  @Injectable()
  class PrismaLifecycle implements OnApplicationShutdown {
    constructor(@Inject(Client) private readonly prisma: T, @Inject(Readiness) readiness: Readiness) {
      readiness.add('postgres', async () => (await this.prisma.$queryRaw`SELECT 1`) !== undefined);
    }

    async onApplicationShutdown() {
      await this.prisma.$disconnect();
    }
  }
  return [{ provide: Client, inject: [CONFIG], useFactory: (config: { DATABASE_URL: string }) => createPrismaClient(Client, config.DATABASE_URL) }, PrismaLifecycle];
}
