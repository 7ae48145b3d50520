/**
 * Per-document migration state in MySQL (`_tmig_lazy_docs`): whether the MySQL copy of a document
 * is current, who wrote it (dual write, read-through, backfill, the application) and deletions.
 */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { DOC_STATE_TABLE } from './lazyDdl';
import { quoteIdent as q } from './quoting';

export type DocOrigin = 'dual' | 'read' | 'backfill' | 'app' | 'rejected';

export interface DocState {
  docId: string;
  /** Dual writes begun and not finished: while > 0 the MySQL copy may be behind MongoDB. */
  pending: number;
  origin: DocOrigin;
  /** Written by the application in stage 3 or later: MySQL is the truth, MongoDB's copy is older. */
  appOwned: boolean;
  tombstone: boolean;
  syncedAt: string;
}

/**
 * Is the MySQL copy (or its absence, for a tombstone) the document's truth?
 * Not when a dual write is pending, nor for dual writes synced before every writer ran dual write
 * (a legacy writer may have changed MongoDB after them).
 */
export function isCurrent(state: DocState | undefined, dualConfirmedAt: string | null): boolean {
  if (!state) return false;
  if (state.appOwned) return true;
  if (state.origin === 'rejected') return false;
  if (state.pending > 0) return false;
  if (state.origin === 'dual' && (dualConfirmedAt === null || state.syncedAt < dualConfirmedAt)) return false;
  return true;
}

/**
 * A placeholder state row that `lockDocStates` inserts for a document with no state yet, so that two
 * transactions on a never-seen document serialize on a real row lock (READ COMMITTED takes no gap
 * locks: without it a read-through and an application write could both see "no state" and the
 * read-through would overwrite the write). It reads as "no state" everywhere; every caller either
 * writes a real state over it or removes it (`releaseClaims`) before committing.
 */
const CLAIM = 'claim';

/**
 * Locks the state rows of `ids` (claiming missing ones, see CLAIM) and returns the real ones.
 * A transaction that waited on another's claim sees that transaction's committed state.
 */
export async function lockDocStates(conn: PoolConnection, coll: string, ids: string[]): Promise<Map<string, DocState>> {
  const out = new Map<string, DocState>();
  if (ids.length === 0) return out;
  const sorted = [...new Set(ids)].sort();
  // ON DUPLICATE KEY (not INSERT IGNORE) takes an exclusive lock on an existing row: waiters queue
  // for one lock instead of sharing a read lock and deadlocking on the upgrade.
  await conn.query(
    `INSERT INTO ${q(DOC_STATE_TABLE)} (coll, doc_id, pending, origin, app_owned, tombstone, synced_at) VALUES ${sorted.map(() => `(?, ?, 0, '${CLAIM}', 0, 0, NOW(6))`).join(', ')} `
    + 'ON DUPLICATE KEY UPDATE pending = pending', sorted.flatMap((id) => [coll, id]));
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT doc_id, pending, origin, app_owned, tombstone, DATE_FORMAT(synced_at, '%Y-%m-%d %H:%i:%s.%f') AS synced_at FROM ${q(DOC_STATE_TABLE)} WHERE coll = ? AND doc_id IN (?) FOR UPDATE`,
    [coll, sorted]);
  for (const r of rows) if (r.origin !== CLAIM) out.set(String(r.doc_id), toState(r));
  return out;
}

/** Removes this transaction's claims on `ids` that no state was written over (e.g. a read-through miss). */
export async function releaseClaims(conn: PoolConnection, coll: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await conn.query(`DELETE FROM ${q(DOC_STATE_TABLE)} WHERE coll = ? AND doc_id IN (?) AND origin = '${CLAIM}'`, [coll, ids]);
}

function toState(r: RowDataPacket): DocState {
  return { docId: String(r.doc_id), pending: Number(r.pending), origin: r.origin as DocOrigin, appOwned: !!Number(r.app_owned), tombstone: !!Number(r.tombstone), syncedAt: String(r.synced_at) };
}

export interface DocStateWrite {
  docId: string;
  origin: DocOrigin;
  appOwned?: boolean;
  tombstone?: boolean;
  /** Change to `pending` (a dual write: +1 before MongoDB, -1 after MySQL); omitted = set to 0. */
  pendingDelta?: number;
}

export async function writeDocStates(conn: PoolConnection, coll: string, writes: DocStateWrite[]): Promise<void> {
  if (writes.length === 0) return;
  const rows = writes.map((w) => [coll, w.docId, 0, w.origin, w.appOwned ? 1 : 0, w.tombstone ? 1 : 0]);
  const keepPending = writes.some((w) => w.pendingDelta !== undefined);
  // Plain VALUES() (not the 8.0.19 row alias): MariaDB has no alias; MySQL 8 still accepts VALUES() with a warning.
  await conn.query(
    `INSERT INTO ${q(DOC_STATE_TABLE)} (coll, doc_id, pending, origin, app_owned, tombstone, synced_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?, NOW(6))').join(', ')} `
    + `ON DUPLICATE KEY UPDATE pending = ${keepPending ? 'pending' : '0'}, origin = VALUES(origin), app_owned = VALUES(app_owned), tombstone = VALUES(tombstone), synced_at = VALUES(synced_at)`,
    rows.flat());
  for (const w of writes) {
    if (w.pendingDelta) {
      await conn.query(`UPDATE ${q(DOC_STATE_TABLE)} SET pending = GREATEST(0, pending + ?) WHERE coll = ? AND doc_id = ?`, [w.pendingDelta, coll, w.docId]);
    }
  }
}

/** Marks a dual write as begun (pending + 1), creating the state row if needed; its own short transaction. */
export async function beginDualWrite(pool: Pool, coll: string, docId: string): Promise<void> {
  await pool.query(
    `INSERT INTO ${q(DOC_STATE_TABLE)} (coll, doc_id, pending, origin, app_owned, tombstone, synced_at) VALUES (?, ?, 1, 'dual', 0, 0, NOW(6)) `
    + 'ON DUPLICATE KEY UPDATE pending = pending + 1', [coll, docId]);
}

export interface OriginCounts {
  coll: string;
  origin: DocOrigin;
  appOwned: boolean;
  tombstone: boolean;
  docs: number;
}

export async function countDocStates(pool: Pool): Promise<OriginCounts[]> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT coll, origin, app_owned, tombstone, COUNT(*) AS n FROM ${q(DOC_STATE_TABLE)} WHERE origin <> '${CLAIM}' GROUP BY coll, origin, app_owned, tombstone`);
  return rows.map((r) => ({ coll: String(r.coll), origin: r.origin as DocOrigin, appOwned: !!Number(r.app_owned), tombstone: !!Number(r.tombstone), docs: Number(r.n) }));
}

/** States in `ids` (no lock), for validation's accounting. */
export async function readDocStates(conn: Pool | PoolConnection, coll: string, ids: string[]): Promise<Map<string, DocState>> {
  const out = new Map<string, DocState>();
  if (ids.length === 0) return out;
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT doc_id, pending, origin, app_owned, tombstone, DATE_FORMAT(synced_at, '%Y-%m-%d %H:%i:%s.%f') AS synced_at FROM ${q(DOC_STATE_TABLE)} WHERE coll = ? AND doc_id IN (?) AND origin <> '${CLAIM}'`, [coll, ids]);
  for (const r of rows) out.set(String(r.doc_id), toState(r));
  return out;
}

/** States whose MySQL copy is not current (pending, suspect dual writes, rejects): the backfill's repair list. */
export async function staleDocStates(pool: Pool, coll: string, dualConfirmedAt: string | null, after: string | null, limit: number): Promise<DocState[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT doc_id, pending, origin, app_owned, tombstone, DATE_FORMAT(synced_at, '%Y-%m-%d %H:%i:%s.%f') AS synced_at FROM ${q(DOC_STATE_TABLE)} `
    + `WHERE coll = ? AND app_owned = 0 AND (pending > 0 OR (origin = 'dual' AND (? IS NULL OR synced_at < ?))) ${after === null ? '' : 'AND doc_id > ?'} ORDER BY doc_id LIMIT ${Number(limit)}`,
    after === null ? [coll, dualConfirmedAt, dualConfirmedAt] : [coll, dualConfirmedAt, dualConfirmedAt, after]);
  return rows.map(toState);
}
