/**
 * DDL detection by catalog comparison: the streamed tables' columns (name and type) in the
 * source against the target built from them. Catches DDL on tables that have not changed
 * since (pgoutput only reveals DDL with the table's next change).
 */
import type { Client } from 'pg';

export interface TablePair {
  source: { schema: string; name: string };
  target: { schema: string; name: string };
}

async function columns(db: Client, tables: { schema: string; name: string }[]): Promise<Map<string, string[]>> {
  const r = await db.query<{ s: string; t: string; cols: string[] }>(`
    SELECT n.nspname AS s, c.relname AS t, array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attname) AS cols
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
    WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
    GROUP BY 1, 2`, [tables.map((t) => t.schema), tables.map((t) => t.name)]);
  return new Map(r.rows.map((row) => [`${row.s}.${row.t}`, row.cols]));
}

/** One message per table whose columns differ; empty when none does. Names columns, never values. */
export async function schemaDrift(source: Client, target: Client, pairs: TablePair[]): Promise<string[]> {
  const [src, tgt] = await Promise.all([columns(source, pairs.map((p) => p.source)), columns(target, pairs.map((p) => p.target))]);
  const out: string[] = [];
  for (const p of pairs) {
    const label = `${p.source.schema}.${p.source.name}`;
    const s = src.get(label);
    const t = tgt.get(`${p.target.schema}.${p.target.name}`) ?? [];
    if (!s) { out.push(`table ${label} is gone from the source (dropped or renamed)`); continue; }
    const added = s.filter((c) => !t.includes(c));
    const removed = t.filter((c) => !s.includes(c));
    if (added.length || removed.length) {
      out.push(`table ${label}: ${[added.length ? `source now has ${added.join(', ')}` : '', removed.length ? `source no longer has ${removed.join(', ')}` : ''].filter(Boolean).join('; ')}`);
    }
  }
  return out;
}
