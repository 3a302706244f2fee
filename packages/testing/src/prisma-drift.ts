import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import pg from 'pg';

const require = createRequire(import.meta.url);
// The schema "engine" shipped as WebAssembly: parses schema.prisma into Prisma's DMMF offline.
const wasm = require('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum';
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}

/** Postgres type Prisma uses for a scalar (without @db.* it's the default mapping). */
function expectedType(f: DmmfField): string {
  if (f.nativeType) {
    const [name, args] = f.nativeType;
    const map: Record<string, string> = { Timestamptz: 'timestamp with time zone', Timestamp: 'timestamp without time zone', VarChar: 'character varying', Text: 'text', Uuid: 'uuid', Integer: 'integer', BigInt: 'bigint', SmallInt: 'smallint', JsonB: 'jsonb', Boolean: 'boolean', DoublePrecision: 'double precision' };
    return `${map[name] ?? name.toLowerCase()}${args.length && name.startsWith('Time') ? `(${args[0]})` : ''}`;
  }
  const map: Record<string, string> = { String: 'text', Int: 'integer', BigInt: 'bigint', Boolean: 'boolean', DateTime: 'timestamp without time zone(3)', Json: 'jsonb', Float: 'double precision', Bytes: 'bytea', Decimal: 'numeric' };
  return map[f.type] ?? `enum:${f.type}`;
}

/**
 * Compares a migrated database with the models of a schema.prisma: tables, columns, types,
 * nullability, defaults, primary keys, indexes and foreign keys. Returns the differences.
 */
export async function prismaDrift(schemaPath: string, databaseUrl: string): Promise<string[]> {
  const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', readFileSync(schemaPath, 'utf8')]] }))).datamodel as { models: DmmfModel[]; indexes: DmmfIndex[] };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const problems: string[] = [];
  try {
    const cols = await client.query(
      `SELECT table_name, column_name, is_nullable, column_default, data_type, datetime_precision FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const indexes = await client.query(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`);
    const fks = await client.query(
      `SELECT tc.table_name, tc.constraint_name, rc.delete_rule FROM information_schema.table_constraints tc JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'`,
    );
    const tables = new Set(cols.rows.filter((r) => r.table_name !== '_prisma_migrations').map((r) => r.table_name as string));
    const byModel = new Map(dmmf.models.map((m) => [m.name, m]));
    const columnName = (m: DmmfModel, field: string) => {
      const f = m.fields.find((x) => x.name === field)!;
      return f.dbName ?? f.name;
    };
    for (const m of dmmf.models) {
      const table = m.dbName ?? m.name;
      if (!tables.delete(table)) {
        problems.push(`table ${table} (model ${m.name}) is missing`);
        continue;
      }
      const dbCols = new Map(cols.rows.filter((r) => r.table_name === table).map((r) => [r.column_name as string, r]));
      for (const f of m.fields.filter((x) => x.kind !== 'object')) {
        const name = f.dbName ?? f.name;
        const c = dbCols.get(name);
        if (!c) {
          problems.push(`${table}.${name} is missing`);
          continue;
        }
        dbCols.delete(name);
        let actual = c.data_type as string;
        if (actual.startsWith('timestamp')) actual = `${actual}(${c.datetime_precision})`;
        if (actual === 'USER-DEFINED') actual = `enum:${f.type}`;
        if (actual !== expectedType(f)) problems.push(`${table}.${name} is ${actual}, model says ${expectedType(f)}`);
        if ((c.is_nullable === 'NO') !== f.isRequired) problems.push(`${table}.${name} nullability differs (db nullable=${c.is_nullable})`);
        const hasDefault = c.column_default !== null;
        if (f.hasDefaultValue !== hasDefault && !f.isUpdatedAt) problems.push(`${table}.${name} default ${hasDefault ? 'present in db only' : 'missing in db'}`);
      }
      for (const extra of dbCols.keys()) problems.push(`${table}.${extra} exists in the database but not in model ${m.name}`);
      // Foreign keys from relation fields.
      for (const f of m.fields.filter((x) => x.kind === 'object' && x.relationFromFields?.length)) {
        const name = `${table}_${f.relationFromFields!.map((x) => columnName(m, x)).join('_')}_fkey`;
        const fk = fks.rows.find((r) => r.table_name === table && r.constraint_name === name);
        if (!fk) problems.push(`foreign key ${name} is missing`);
        else if (f.relationOnDelete && fk.delete_rule !== f.relationOnDelete.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()) problems.push(`foreign key ${name} deletes ${fk.delete_rule}, model says ${f.relationOnDelete}`);
      }
    }
    for (const t of tables) problems.push(`table ${t} exists in the database but has no model`);
    // Indexes: primary keys, @unique / @@unique, @@index, by Prisma's default names.
    const dbIndexes = new Map(indexes.rows.filter((r) => r.tablename !== '_prisma_migrations').map((r) => [r.indexname as string, r.indexdef as string]));
    for (const idx of dmmf.indexes) {
      const m = byModel.get(idx.model)!;
      const table = m.dbName ?? m.name;
      const colsOf = idx.fields.map((f) => columnName(m, f.name));
      const name = idx.dbName ?? (idx.type === 'id' ? `${table}_pkey` : `${table}_${colsOf.join('_')}_${idx.type === 'unique' ? 'key' : 'idx'}`);
      const def = dbIndexes.get(name);
      if (!def) {
        problems.push(`index ${name} (${idx.type} on ${table}(${colsOf.join(', ')})) is missing`);
        continue;
      }
      dbIndexes.delete(name);
      if (idx.type !== 'normal' && !def.includes('UNIQUE')) problems.push(`index ${name} should be unique`);
      if (idx.type === 'normal' && def.includes('UNIQUE')) problems.push(`index ${name} should not be unique`);
      for (const col of colsOf) if (!def.includes(`"${col}"`) && !def.includes(` ${col}`) && !def.includes(`(${col}`)) problems.push(`index ${name} does not cover ${col}`);
    }
    for (const extra of dbIndexes.keys()) problems.push(`index ${extra} exists in the database but not in the schema`);
  } finally {
    await client.end();
  }
  return problems;
}
