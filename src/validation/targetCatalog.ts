import type { Client } from 'pg';

/** What the target database actually has, read from pg_catalog for a set of tables. */
export interface TargetTableCatalog {
  oid: number;
  columns: Map<string, string>; // column name -> format_type
  indexes: { name: string; unique: boolean; primary: boolean; valid: boolean; columns: (string | null)[]; partial: boolean }[];
  constraints: {
    name: string; type: 'p' | 'u' | 'f' | 'c' | string; validated: boolean; columns: string[];
    refSchema?: string; refTable?: string; refColumns: string[];
  }[];
  /** Sequences owned by a column of the table (serial or identity). */
  sequences: { oid: number; sequence: string; column: string; increment: string }[];
}

/** Reads the catalog of the given tables (`schema.table` as target names); missing tables are absent from the map. */
export async function readTargetCatalog(client: Client, tables: { schema: string; name: string }[]): Promise<Map<string, TargetTableCatalog>> {
  const out = new Map<string, TargetTableCatalog>();
  if (tables.length === 0) return out;
  const rels = (await client.query(`
    SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN unnest($1::text[], $2::text[]) AS w(s, t) ON w.s = n.nspname AND w.t = c.relname
    WHERE c.relkind IN ('r', 'p')`, [tables.map((t) => t.schema), tables.map((t) => t.name)])).rows;
  const byOid = new Map<number, TargetTableCatalog>();
  for (const r of rels) {
    const entry: TargetTableCatalog = { oid: r.oid, columns: new Map(), indexes: [], constraints: [], sequences: [] };
    out.set(`${r.schema}.${r.name}`, entry);
    byOid.set(r.oid, entry);
  }
  const oids = [...byOid.keys()];
  if (oids.length === 0) return out;

  const cols = await client.query(`
    SELECT attrelid::int AS oid, attname, format_type(atttypid, atttypmod) AS type
    FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped`, [oids]);
  for (const c of cols.rows) byOid.get(c.oid)!.columns.set(c.attname, c.type);

  const idx = await client.query(`
    SELECT x.indrelid::int AS oid, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
           (x.indisvalid AND x.indisready) AS valid, x.indpred IS NOT NULL AS partial,
           array(SELECT a.attname FROM generate_subscripts(x.indkey, 1) AS k(i)
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.i]
                 WHERE k.i < x.indnkeyatts ORDER BY k.i)::text[] AS columns
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = ANY($1::oid[])`, [oids]);
  for (const i of idx.rows) byOid.get(i.oid)!.indexes.push({ name: i.name, unique: i.unique, primary: i.primary, valid: i.valid, columns: i.columns, partial: i.partial });

  const cons = await client.query(`
    SELECT con.conrelid::int AS oid, con.conname AS name, con.contype AS type, con.convalidated AS validated,
           rn.nspname AS ref_schema, rc.relname AS ref_table,
           array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
           array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS ref_columns
    FROM pg_constraint con
    LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
    WHERE con.conrelid = ANY($1::oid[])`, [oids]);
  for (const c of cons.rows) {
    byOid.get(c.oid)!.constraints.push({ name: c.name, type: c.type, validated: c.validated, columns: c.columns ?? [],
      refSchema: c.ref_schema ?? undefined, refTable: c.ref_table ?? undefined, refColumns: c.ref_columns ?? [] });
  }

  // deptype 'a' = serial (OWNED BY), 'i' = identity.
  const seqs = await client.query(`
    SELECT d.refobjid::int AS oid, s.oid::int AS seq_oid, quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS sequence,
           a.attname AS column, ps.seqincrement::text AS increment
    FROM pg_depend d
    JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_sequence ps ON ps.seqrelid = s.oid
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.deptype IN ('a', 'i') AND d.refobjid = ANY($1::oid[])`, [oids]);
  for (const s of seqs.rows) byOid.get(s.oid)!.sequences.push({ oid: s.seq_oid, sequence: s.sequence, column: s.column, increment: s.increment });
  return out;
}
