/** The per-collection rejects table: documents the plan cannot hold, with the reason, kept whole (Extended JSON). */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { BSON, type Document } from 'mongodb';
import type { CollectionPlan } from '../../contract/lazyPlan';
import { rejectsTable } from './lazyDdl';
import { quoteIdent as q } from './quoting';

export async function recordReject(conn: Pool | PoolConnection, plan: CollectionPlan, id: string, reason: string, doc: Document, foundBy: string): Promise<void> {
  await conn.query(`REPLACE INTO ${q(rejectsTable(plan))} (${q('_id_text')}, reason, document, found_by, rejected_at) VALUES (?, ?, ?, ?, NOW(6))`,
    [id, reason, BSON.EJSON.stringify(doc, { relaxed: false }), foundBy]);
}

export async function removeReject(conn: Pool | PoolConnection, plan: CollectionPlan, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await conn.query(`DELETE FROM ${q(rejectsTable(plan))} WHERE ${q('_id_text')} IN (?)`, [ids]);
}

export interface RejectSummary {
  reason: string;
  documents: number;
}

export async function countRejects(pool: Pool, plan: CollectionPlan): Promise<{ total: number; byReason: RejectSummary[] }> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT reason, COUNT(*) AS n FROM ${q(rejectsTable(plan))} GROUP BY reason`);
  const byReason = rows.map((r) => ({ reason: String(r.reason), documents: Number(r.n) }));
  return { total: byReason.reduce((n, r) => n + r.documents, 0), byReason };
}

/** Which of `ids` are in the rejects table (one batch; validation never loads every reject id). */
export async function rejectedAmong(conn: Pool | PoolConnection, plan: CollectionPlan, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${q('_id_text')} AS id FROM ${q(rejectsTable(plan))} WHERE ${q('_id_text')} IN (?)`, [ids]);
  return new Set(rows.map((r) => String(r.id)));
}
