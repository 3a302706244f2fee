import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Registry } from 'prom-client';
import type { Logger } from './logger.js';
import { clientMetrics, type ClientMetrics } from './metrics.js';
import { CONFIG, LOGGER } from './platform.js';
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

/** The node-postgres pool a service's Prisma client runs on (connected on first use). */
export function prismaPool(databaseUrl: string): pg.Pool {
  const { schema: _schema, ...connection } = pgConnection(databaseUrl);
  return new pg.Pool({ ...connection, max: 10 });
}

/**
 * Builds a service's engine-free Prisma client on node-postgres. The client class comes from
 * the service's own generated code, so each service keeps its own schema. `$disconnect` ends the
 * pool once Prisma has used it.
 */
export function createPrismaClient<T>(Client: new (opts: { adapter: PrismaPg }) => T, databaseUrl: string, pool = prismaPool(databaseUrl)): T {
  const { schema } = pgConnection(databaseUrl);
  // The adapter qualifies the model queries' tables with the schema itself.
  return new Client({ adapter: new PrismaPg(pool, { disposeExternalPool: true, ...(schema ? { schema } : {}) }) });
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
  const POOL = Symbol(`${Client.name} pool`);

  @Injectable()
  class PrismaLifecycle implements OnApplicationShutdown {
    constructor(
      @Inject(Client) private readonly prisma: T,
      @Inject(POOL) private readonly pool: pg.Pool,
      @Inject(Readiness) readiness: Readiness,
    ) {
      // On the client's own pool, not through Prisma: a Prisma query, even `SELECT 1`, first builds
      // the query compiler (its wasm and the schema: ~0.4 CPU s), which the start then paid for
      // readiness alone (issue 12, ADR 0101). The first model query builds it.
      readiness.add('postgres', async () => (await this.pool.query('SELECT 1')).rowCount === 1);
    }

    async onApplicationShutdown() {
      await this.prisma.$disconnect();
      // Prisma ends the pool only if it ever connected it.
      if (!this.pool.ended) await this.pool.end();
    }
  }
  return [
    {
      provide: POOL,
      inject: [CONFIG, LOGGER],
      useFactory: (config: { DATABASE_URL: string }, logger: Logger) => {
        const pool = prismaPool(config.DATABASE_URL);
        // An idle connection that breaks (Postgres restart) is dropped by the pool; unhandled, the event would end the process.
        pool.on('error', (err) => logger.warn({ err: err.message }, 'idle postgres connection lost'));
        return pool;
      },
    },
    {
      provide: Client,
      inject: [CONFIG, Registry, POOL],
      useFactory: (config: { DATABASE_URL: string }, registry: Registry, pool: pg.Pool) =>
        instrumentPrisma(createPrismaClient(Client, config.DATABASE_URL, pool), postgresMetrics(registry)),
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
