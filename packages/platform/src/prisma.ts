import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Registry } from 'prom-client';
import { clientMetrics, type ClientMetrics } from './metrics.js';
import { CONFIG } from './platform.js';
import { Readiness } from './readiness.js';

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * node-postgres settings for a service's DATABASE_URL. Prisma's `?schema=` is not a libpq
 * parameter: it is taken off the URL and becomes the connection's search_path, so raw SQL on
 * hot paths finds the tables as the migrations' DDL does (scripts/lib/migrate.mjs).
 */
export function pgConnection(databaseUrl: string): { connectionString: string; schema?: string; options?: string } {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  if (!schema) return { connectionString: url.toString() };
  return { connectionString: url.toString(), schema, options: `-c search_path=${quoteIdent(schema).replace(/[\\ ]/g, '\\$&')}` };
}

/**
 * Builds a service's engine-free Prisma client on node-postgres. The client class comes from
 * the service's own generated code, so each service keeps its own schema.
 */
export function createPrismaClient<T>(Client: new (opts: { adapter: PrismaPg }) => T, databaseUrl: string): T {
  const { schema, ...connection } = pgConnection(databaseUrl);
  // The adapter qualifies the model queries' tables with the schema itself.
  return new Client({ adapter: new PrismaPg({ ...connection, max: 10 }, schema ? { schema } : undefined) });
}

interface PrismaLike {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
  $disconnect(): Promise<void>;
}

type QueryHook = (p: { model?: string; operation: string; args: unknown; query: (args: unknown) => Promise<unknown> }) => Promise<unknown>;
interface Extendable {
  $extends(ext: { query: { $allOperations: QueryHook } }): unknown;
}

/**
 * The same client with every query timed and its failures counted by `<model>.<operation>`
 * (raw queries: `$queryRaw`...): a bounded label, the schema fixes both. The extended client
 * is a drop-in for the generated class (same methods), so it is returned as that type.
 */
export function instrumentPrisma<T>(client: T, metrics: ClientMetrics): T {
  const ext = client as unknown as Extendable;
  if (typeof ext.$extends !== 'function') return client;
  metrics.init('$queryRaw');
  return ext.$extends({
    query: {
      $allOperations: ({ model, operation, args, query }) => metrics.observe(model ? `${model}.${operation}` : operation, () => query(args)),
    },
  }) as T;
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
  return [
    {
      provide: Client,
      inject: [CONFIG, Registry],
      useFactory: (config: { DATABASE_URL: string }, registry: Registry) => instrumentPrisma(createPrismaClient(Client, config.DATABASE_URL), postgresMetrics(registry)),
    },
    PrismaLifecycle,
  ];
}

/** One set of postgres client metrics per registry, shared by a service's Prisma client and any node-postgres pool beside it. */
const postgresByRegistry = new WeakMap<Registry, ClientMetrics>();
export function postgresMetrics(registry: Registry): ClientMetrics {
  let m = postgresByRegistry.get(registry);
  if (!m) postgresByRegistry.set(registry, (m = clientMetrics(registry, 'postgres')));
  return m;
}
