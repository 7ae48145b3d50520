/**
 * The eager backfill of one collection: walks MongoDB by `_id` keyset from the checkpoint stored
 * in MySQL, one exactly-once chunk at a time; then repairs state rows that are still stale.
 */
import type { Collection } from 'mongodb';
import type { Pool } from 'mysql2/promise';
import { chunksAfter, findById, readAhead } from '../engines/mongodb/collectionReader';
import { CheckpointMoved, readCheckpoint, writeBackfillChunk, type BackfillCheckpoint } from '../engines/mysql/backfillChunk';
import { inTransaction } from '../engines/mysql/connection';
import { isCurrent, lockDocStates, staleDocStates, writeDocStates } from '../engines/mysql/docState';
import { deleteDocumentRows, replaceDocumentRows } from '../engines/mysql/documentRows';
import { recordReject } from '../engines/mysql/rejects';
import { DocumentRejected, mapDocument } from '../engines/mongodb/documentMapping';
import type { CollectionPlan } from '../contract/lazyPlan';

export interface BackfillOptions {
  chunkSize: number;
  /** Pause after each chunk (throttle); 0 = none. */
  chunkDelayMs: number;
  dualConfirmedAt: string | null;
  /** Called after each committed chunk (heartbeat; throws to stop). */
  onChunk?: (cp: BackfillCheckpoint) => void;
}

export interface BackfillResult extends BackfillCheckpoint {
  resumedFrom: string | null;
  repaired: number;
}

export async function backfillCollection(coll: Collection, pool: Pool, plan: CollectionPlan, opts: BackfillOptions): Promise<BackfillResult> {
  let cp = await readCheckpoint(pool, plan.collection);
  const resumedFrom = cp.lastId;
  while (!cp.done) {
    try {
      // One cursor from the checkpoint; each chunk commits with the checkpoint, so any crash resumes from there.
      // The next chunk is read while this one is written (readAhead); chunks still commit one by one, in order.
      for await (const docs of readAhead(chunksAfter(coll, plan.idType, cp.lastId, opts.chunkSize))) {
        cp = await writeBackfillChunk(pool, plan, docs, cp, opts.dualConfirmedAt, false);
        opts.onChunk?.(cp);
        if (opts.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, opts.chunkDelayMs));
      }
      cp = await writeBackfillChunk(pool, plan, [], cp, opts.dualConfirmedAt, true);
    } catch (err) {
      if (!(err instanceof CheckpointMoved)) throw err;
      cp = await readCheckpoint(pool, plan.collection);
    }
  }
  const repaired = await repairStale(coll, pool, plan, opts.dualConfirmedAt);
  return { ...cp, resumedFrom, repaired };
}

/** State rows still stale after the walk (e.g. a crashed dual write of a delete): make MySQL match MongoDB. */
async function repairStale(coll: Collection, pool: Pool, plan: CollectionPlan, dualConfirmedAt: string | null): Promise<number> {
  let repaired = 0;
  let after: string | null = null;
  for (;;) {
    const stale = await staleDocStates(pool, plan.collection, dualConfirmedAt, after, 200);
    if (stale.length === 0) return repaired;
    for (const s of stale) {
      await inTransaction(pool, async (conn) => {
        const state = (await lockDocStates(conn, plan.collection, [s.docId])).get(s.docId);
        if (isCurrent(state, dualConfirmedAt)) return;
        const doc = await findById(coll, plan.idType, s.docId);
        if (!doc) {
          await deleteDocumentRows(conn, plan, [s.docId]);
          await writeDocStates(conn, plan.collection, [{ docId: s.docId, origin: 'backfill', tombstone: true }]);
          return;
        }
        try {
          await replaceDocumentRows(conn, plan, mapDocument(plan, doc));
          await writeDocStates(conn, plan.collection, [{ docId: s.docId, origin: 'backfill' }]);
        } catch (err) {
          if (!(err instanceof DocumentRejected)) throw err;
          await recordReject(conn, plan, s.docId, err.reason, doc, 'backfill');
          await writeDocStates(conn, plan.collection, [{ docId: s.docId, origin: 'rejected' }]);
        }
      });
      repaired++;
    }
    after = stale[stale.length - 1]!.docId;
  }
}
