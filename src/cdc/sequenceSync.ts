/**
 * Sequences at cutover (source → target) and rollback (target → source): every sequence of the
 * receiving database is moved past the sending one's value and past its owned column's max,
 * never backwards, so the side that takes the writes never hands out a used value.
 */
import type { Client } from 'pg';
import { quoteLiteral } from '../engines/postgres/quoting';

export async function syncSequencesForward(from: Client, to: Client): Promise<number> {
  const seqs = await from.query<{ seq: string; last: string | null }>(`
    SELECT format('%I.%I', schemaname, sequencename) AS seq, last_value::text AS last FROM pg_sequences WHERE schemaname <> '_tmig'`);
  let moved = 0;
  for (const s of seqs.rows) {
    if (s.last === null) continue;
    const r = await to.query(`SELECT setval(${quoteLiteral(s.seq)}::regclass, $1::bigint, true)
      FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename) = $2 AND (last_value IS NULL OR last_value < $1::bigint)`, [s.last, s.seq]);
    moved += r.rowCount ?? 0;
  }
  const owned = await to.query<{ seq: string; tbl: string; col: string }>(`
    SELECT d.objid::regclass::text AS seq, d.refobjid::regclass::text AS tbl, quote_ident(a.attname) AS col
    FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace n ON n.oid = s.relnamespace
    JOIN pg_sequence q ON q.seqrelid = s.oid AND q.seqincrement > 0
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND n.nspname <> '_tmig'`);
  for (const o of owned.rows) {
    await to.query(`SELECT setval(${quoteLiteral(o.seq)}::regclass, m, true) FROM (SELECT max(${o.col})::bigint AS m FROM ${o.tbl}) x
      WHERE m IS NOT NULL AND m > (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM ${o.seq})`);
  }
  return moved;
}
