/**
 * A document's rows in MySQL: write (parent, then child tables), delete (children cascade) and
 * read back as canonical column text, the same text the plan's mapping produces from MongoDB.
 */
import type { PoolConnection, Pool, RowDataPacket } from 'mysql2/promise';
import { BSON } from 'mongodb';
import { canonicalJson } from '../mongodb/columnValues';
import type { ColumnText, MappedDocument } from '../mongodb/documentMapping';
import type { ColumnPlan, CollectionPlan } from '../../contract/lazyPlan';
import { quoteIdent as q } from './quoting';

type Queryable = Pool | PoolConnection;

/** Inserts the rows of `docs` (which must not exist yet): one multi-row INSERT per table. */
export async function insertDocumentRows(conn: Queryable, plan: CollectionPlan, docs: MappedDocument[]): Promise<void> {
  if (docs.length === 0) return;
  const cols = ['_id', ...plan.columns.map((c) => c.column)].map(q).join(', ');
  await conn.query(`INSERT INTO ${q(plan.table)} (${cols}) VALUES ?`, [docs.map((d) => [d.id, ...d.row])]);
  for (const [i, ch] of plan.children.entries()) {
    const rows = docs.flatMap((d) => (d.children[i] ?? []).map((r, pos) => [d.id, pos, ...r]));
    if (rows.length === 0) continue;
    const childCols = ['_parent_id', '_position', ...ch.columns.map((c) => c.column)].map(q).join(', ');
    // Bounded statements: a chunk of documents with long arrays must stay under max_allowed_packet.
    for (let at = 0; at < rows.length; at += 2000) {
      await conn.query(`INSERT INTO ${q(ch.table)} (${childCols}) VALUES ?`, [rows.slice(at, at + 2000)]);
    }
  }
}

/** Deletes the parent rows of `ids`; child rows go with them (ON DELETE CASCADE). */
export async function deleteDocumentRows(conn: Queryable, plan: CollectionPlan, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await conn.query(`DELETE FROM ${q(plan.table)} WHERE ${q('_id')} IN (?)`, [ids]);
}

/** Replaces a document's rows (delete then insert, in the caller's transaction). */
export async function replaceDocumentRows(conn: PoolConnection, plan: CollectionPlan, doc: MappedDocument): Promise<void> {
  await deleteDocumentRows(conn, plan, [doc.id]);
  await insertDocumentRows(conn, plan, [doc]);
}

/** Reads back the documents of `ids` that have a parent row, as canonical mapped rows. */
export async function readDocumentRows(conn: Queryable, plan: CollectionPlan, ids: string[]): Promise<Map<string, MappedDocument>> {
  const out = new Map<string, MappedDocument>();
  if (ids.length === 0) return out;
  const cols = ['_id', ...plan.columns.map((c) => c.column)].map(q).join(', ');
  const [parents] = await conn.query<RowDataPacket[]>({ sql: `SELECT ${cols} FROM ${q(plan.table)} WHERE ${q('_id')} IN (?)`, rowsAsArray: true }, [ids]);
  for (const r of parents as unknown as unknown[][]) {
    const id = String(r[0]);
    out.set(id, { id, row: plan.columns.map((c, i) => canonicalText(c, r[i + 1])), children: plan.children.map(() => []) });
  }
  await readChildren(conn, plan, [...out.keys()], out);
  return out;
}

/** Parent rows with `_id` > after (keyset), in key order: the MySQL side of validation. */
export async function readDocumentRowsAfter(conn: Queryable, plan: CollectionPlan, after: string | null, limit: number): Promise<MappedDocument[]> {
  const cols = ['_id', ...plan.columns.map((c) => c.column)].map(q).join(', ');
  const where = after === null ? '' : `WHERE ${q('_id')} > ?`;
  const [parents] = await conn.query<RowDataPacket[]>({ sql: `SELECT ${cols} FROM ${q(plan.table)} ${where} ORDER BY ${q('_id')} LIMIT ${Number(limit)}`, rowsAsArray: true }, after === null ? [] : [after]);
  const out = new Map<string, MappedDocument>();
  for (const r of parents as unknown as unknown[][]) {
    const id = String(r[0]);
    out.set(id, { id, row: plan.columns.map((c, i) => canonicalText(c, r[i + 1])), children: plan.children.map(() => []) });
  }
  await readChildren(conn, plan, [...out.keys()], out);
  return [...out.values()];
}

async function readChildren(conn: Queryable, plan: CollectionPlan, ids: string[], into: Map<string, MappedDocument>): Promise<void> {
  if (ids.length === 0) return;
  for (const [i, ch] of plan.children.entries()) {
    const cols = ['_parent_id', '_position', ...ch.columns.map((c) => c.column)].map(q).join(', ');
    const [rows] = await conn.query<RowDataPacket[]>({
      sql: `SELECT ${cols} FROM ${q(ch.table)} WHERE ${q('_parent_id')} IN (?) ORDER BY ${q('_parent_id')}, ${q('_position')}`, rowsAsArray: true,
    }, [ids]);
    for (const r of rows as unknown as unknown[][]) {
      into.get(String(r[0]))?.children[i]!.push(ch.columns.map((c, j) => canonicalText(c, r[j + 2])));
    }
  }
}

/** mysql2's value (text dates, string BIGINTs, numbers, JSON as text or object) to canonical column text. */
export function canonicalText(col: ColumnPlan, v: unknown): ColumnText {
  if (v === null || v === undefined) return null;
  switch (col.type) {
    case 'double': return String(Number(v) === 0 ? 0 : Number(v));
    case 'bool': return Number(v) ? '1' : '0';
    case 'int': return String(v);
    case 'json': {
      // MariaDB hands JSON back as text, MySQL 8 as a parsed value with its own key order.
      const parsed = typeof v === 'string' ? JSON.parse(v) : v;
      return canonicalJson(BSON.EJSON.deserialize(parsed, { relaxed: true }));
    }
    case 'date': {
      const s = String(v);
      return s.includes('.') ? s : `${s}.000`;
    }
    default: return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
}
