/**
 * The backfill's exactly-once unit: one chunk of documents (in `_id` order) written to MySQL
 * together with the collection's checkpoint, in one InnoDB transaction. Documents whose MySQL
 * copy is already current (read through, written by the application, backfilled) are skipped.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Document } from 'mongodb';
import { DocumentRejected, mapDocument, type MappedDocument } from '../mongodb/documentMapping';
import { idText } from '../mongodb/columnValues';
import type { CollectionPlan } from '../../contract/lazyPlan';
import { inTransaction } from './connection';
import { isCurrent, lockDocStates, writeDocStates, type DocStateWrite } from './docState';
import { deleteDocumentRows, insertDocumentRows } from './documentRows';
import { CHECKPOINT_TABLE } from './lazyDdl';
import { quoteIdent as q } from './quoting';
import { recordReject, removeReject } from './rejects';

export interface BackfillCheckpoint {
  coll: string;
  lastId: string | null;
  docsRead: number;
  docsCopied: number;
  docsSkipped: number;
  docsRejected: number;
  chunks: number;
  done: boolean;
}

export async function readCheckpoint(pool: Pool, coll: string): Promise<BackfillCheckpoint> {
  const [rows] = await pool.query<RowDataPacket[]>(`SELECT * FROM ${q(CHECKPOINT_TABLE)} WHERE coll = ?`, [coll]);
  const r = rows[0];
  if (!r) return { coll, lastId: null, docsRead: 0, docsCopied: 0, docsSkipped: 0, docsRejected: 0, chunks: 0, done: false };
  return { coll, lastId: r.last_id ?? null, docsRead: Number(r.docs_read), docsCopied: Number(r.docs_copied), docsSkipped: Number(r.docs_skipped),
    docsRejected: Number(r.docs_rejected), chunks: Number(r.chunks), done: !!Number(r.done) };
}

export async function resetCheckpoint(pool: Pool, coll: string): Promise<void> {
  await pool.query(`DELETE FROM ${q(CHECKPOINT_TABLE)} WHERE coll = ?`, [coll]);
}

/** Another attempt of the same backfill moved the checkpoint first (a zombie): re-read it and go on. */
export class CheckpointMoved extends Error {}

/**
 * Writes one chunk and advances the checkpoint from `prev`. `docs` must be the documents after
 * `prev.lastId` in `_id` order; `done` marks the collection finished (the last, short chunk).
 */
export async function writeBackfillChunk(
  pool: Pool, plan: CollectionPlan, docs: Document[], prev: BackfillCheckpoint, dualConfirmedAt: string | null, done: boolean,
): Promise<BackfillCheckpoint> {
  return inTransaction(pool, async (conn) => {
    const [cur] = await conn.query<RowDataPacket[]>(`SELECT last_id, done FROM ${q(CHECKPOINT_TABLE)} WHERE coll = ? FOR UPDATE`, [plan.collection]);
    const stored = cur[0] ? (cur[0].last_id ?? null) : null;
    if (stored !== prev.lastId || (cur[0] && Number(cur[0].done))) throw new CheckpointMoved(`collection ${plan.collection}: checkpoint is at ${stored}, expected ${prev.lastId}`);
    const ids = docs.map((d) => idText(plan.idType, d._id));
    const states = await lockDocStates(conn, plan.collection, ids);
    const copy: MappedDocument[] = [];
    const stateWrites: DocStateWrite[] = [];
    let skipped = 0;
    let rejected = 0;
    for (const [i, doc] of docs.entries()) {
      const id = ids[i]!;
      if (isCurrent(states.get(id), dualConfirmedAt)) {
        skipped++;
        continue;
      }
      try {
        copy.push(mapDocument(plan, doc));
        stateWrites.push({ docId: id, origin: 'backfill' });
      } catch (err) {
        if (!(err instanceof DocumentRejected)) throw err;
        rejected++;
        await recordReject(conn, plan, id, err.reason, doc, 'backfill');
        stateWrites.push({ docId: id, origin: 'rejected' });
      }
    }
    // Stale copies (crashed dual writes, pre-confirmation dual writes) are replaced.
    const stale = ids.filter((id) => states.has(id) && !isCurrent(states.get(id), dualConfirmedAt));
    await deleteDocumentRows(conn, plan, stale);
    await insertDocumentRows(conn, plan, copy);
    await removeReject(conn, plan, copy.map((d) => d.id));
    await writeDocStates(conn, plan.collection, stateWrites);
    const next: BackfillCheckpoint = {
      coll: plan.collection, lastId: ids.length ? ids[ids.length - 1]! : prev.lastId, docsRead: prev.docsRead + docs.length,
      docsCopied: prev.docsCopied + copy.length, docsSkipped: prev.docsSkipped + skipped, docsRejected: prev.docsRejected + rejected,
      chunks: prev.chunks + 1, done,
    };
    await conn.query(
      `INSERT INTO ${q(CHECKPOINT_TABLE)} (coll, last_id, docs_read, docs_copied, docs_skipped, docs_rejected, chunks, done, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NOW(6)) `
      + 'ON DUPLICATE KEY UPDATE last_id = VALUES(last_id), docs_read = VALUES(docs_read), docs_copied = VALUES(docs_copied), docs_skipped = VALUES(docs_skipped), '
      + 'docs_rejected = VALUES(docs_rejected), chunks = VALUES(chunks), done = VALUES(done), updated_at = VALUES(updated_at)',
      [next.coll, next.lastId, next.docsRead, next.docsCopied, next.docsSkipped, next.docsRejected, next.chunks, next.done ? 1 : 0]);
    return next;
  });
}
