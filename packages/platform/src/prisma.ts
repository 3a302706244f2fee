import { PrismaPg } from '@prisma/adapter-pg';

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
