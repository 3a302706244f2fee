import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, LOGGER, pgConnection, postgresMetrics, type ClientMetrics, type Logger } from '@switchboard/platform';
import pg from 'pg';
import { Registry } from 'prom-client';

/** Connections of this pool: only the hot statements use it (Prisma keeps its own pool for the rest). */
const SQL_POOL_MAX = 4;

/**
 * Most distinct statement texts run as named (prepared) statements; any beyond run unnamed, so a
 * text built at run time can never grow each connection's statement cache without bound.
 */
export const SQL_PREPARED_MAX = 128;

/**
 * node-postgres beside Prisma, for the few hot statements where Prisma's query interpreter costs
 * several times the query itself (chat.send, ADR 0063; the join's read, ADR 0058). Its own small pool, connected on first
 * use; each statement is timed and counted by operation like Prisma's (`switchboard_postgres_*`).
 */
@Injectable()
export class SqlPool implements OnApplicationShutdown {
  private readonly pool: pg.Pool;
  private readonly metrics: ClientMetrics;
  /** Statement text → its prepared statement's name (the same on every connection of the pool). */
  private readonly names = new Map<string, string>();

  constructor(@Inject(CONFIG) config: { DATABASE_URL: string }, registry: Registry, @Inject(LOGGER) logger: Logger) {
    const { connectionString, options } = pgConnection(config.DATABASE_URL);
    // Idle connections stay (idleTimeoutMillis 0): a reconnect costs a new backend and loses its prepared statements.
    this.pool = new pg.Pool({ connectionString, options, max: SQL_POOL_MAX, idleTimeoutMillis: 0 });
    // An idle connection that breaks (Postgres restart) is dropped by the pool; unhandled, the event would end the process.
    this.pool.on('error', (err) => logger.warn({ err: err.message }, 'idle postgres connection lost'));
    this.metrics = postgresMetrics(registry);
  }

  /**
   * The rows of one parameterized statement; `operation` labels its metrics (a fixed name, never
   * data). Run as a named statement: each connection parses and plans it once, then only binds and
   * executes, about half of Postgres's CPU per chat.send (ADR 0073, `bench/chat-insert.mjs`).
   */
  rows<R extends pg.QueryResultRow>(operation: string, text: string, values: unknown[]): Promise<R[]> {
    const name = this.nameOf(text);
    return this.metrics.observe(operation, async () => (await this.pool.query<R>(name ? { name, text, values } : { text, values })).rows);
  }

  /** How many statement texts run prepared (at most SQL_PREPARED_MAX). */
  get prepared(): number {
    return this.names.size;
  }

  private nameOf(text: string): string | undefined {
    let name = this.names.get(text);
    if (!name && this.names.size < SQL_PREPARED_MAX) this.names.set(text, (name = `sb_${this.names.size}`));
    return name;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
