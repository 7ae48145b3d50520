import type { Client } from 'pg';
import type { SchemaModel, TableModel } from '../../../src/engines/schemaModel';

/**
 * Builds the schema model of the `public` tables of a PostgreSQL database from its catalogs,
 * the way a PostgreSQL source engine describes it (PostgreSQL to PostgreSQL: target = source).
 * Test-only: the audit and integrity tests need a model without depending on the engine's WIP.
 */
export async function describePublicSchema(client: Client): Promise<SchemaModel> {
  const tables = (await client.query(`
    SELECT c.oid, c.relname, c.reltuples
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname`)).rows;
  const model: SchemaModel = { sourceKind: 'postgres', tables: [], notMigrated: [], notes: [] };
  for (const t of tables) {
    const cols = (await client.query(`
      SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
             a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid) AS def
      FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [t.oid])).rows;
    const idx = (await client.query(`
      SELECT i.relname, x.indisunique, x.indisprimary,
             array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS cols
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1 ORDER BY i.relname`, [t.oid])).rows;
    const fks = (await client.query(`
      SELECT con.conname, con.convalidated, rn.nspname AS ref_schema, rc.relname AS ref_table,
             array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a
                   ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS cols,
             array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a
                   ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS ref_cols
      FROM pg_constraint con JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE con.conrelid = $1 AND con.contype = 'f' ORDER BY con.conname`, [t.oid])).rows;
    const columns = cols.map((c) => ({
      name: c.attname as string, targetName: c.attname as string, sourceType: c.type as string, targetType: c.type as string,
      nullable: c.nullable as boolean, generated: c.attgenerated === 's',
      identity: c.attidentity ? { seed: '1', increment: '1', always: c.attidentity === 'a' } : undefined,
      defaultExpr: (c.def as string | null) ?? undefined,
    }));
    const indexes = idx.map((i) => ({
      name: i.relname as string, targetName: i.relname as string, unique: i.indisunique as boolean,
      primaryKey: i.indisprimary as boolean, include: [] as string[],
      columns: (i.cols as string[]).map((name) => ({ name, descending: false })),
    }));
    const pk = indexes.find((i) => i.primaryKey)
      ?? indexes.find((i) => i.unique && i.columns.every((c) => !columns.find((x) => x.name === c.name)?.nullable));
    const table: TableModel = {
      schema: 'public', name: t.relname, targetSchema: 'public', targetName: t.relname,
      columns, key: pk ? pk.columns.map((c) => c.name) : null,
      estimatedRows: Math.max(0, Number(t.reltuples)), indexes,
      foreignKeys: fks.map((f) => ({
        name: f.conname, targetName: f.conname, columns: f.cols, refSchema: f.ref_schema, refTable: f.ref_table,
        refColumns: f.ref_cols, onDelete: 'NO ACTION', onUpdate: 'NO ACTION', trusted: f.convalidated,
      })),
      checks: [],
    };
    model.tables.push(table);
  }
  return model;
}
