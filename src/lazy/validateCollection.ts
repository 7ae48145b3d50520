/**
 * Validation of one collection: every MongoDB document mapped by the plan against MySQL's rows
 * (child tables included) by a canonical per-document checksum, plus the accounting of what
 * MySQL holds that MongoDB does not (application writes since stage 3, rejects, deletions).
 */
import type { Collection } from 'mongodb';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { chunksAfter } from '../engines/mongodb/collectionReader';
import { readDocStates } from '../engines/mysql/docState';
import { readDocumentRows } from '../engines/mysql/documentRows';
import { DOC_STATE_TABLE } from '../engines/mysql/lazyDdl';
import { quoteIdent as q } from '../engines/mysql/quoting';
import { countRejects } from '../engines/mysql/rejects';
import { idText } from '../engines/mongodb/columnValues';
import { documentChecksum } from '../engines/mongodb/documentChecksum';
import { DocumentRejected, mapDocument } from '../engines/mongodb/documentMapping';
import type { CollectionPlan } from '../contract/lazyPlan';

export interface DocumentMismatch {
  collection: string;
  _id: string;
  problem: string;
}

export interface CollectionValidation {
  collection: string;
  mongoDocuments: number;
  mysqlRows: number;
  /** Documents whose MySQL rows have the same checksum as MongoDB's document mapped by the plan. */
  matched: number;
  /** Documents the application wrote in MySQL since stage 3 (MySQL is their truth; not compared). */
  appOwned: number;
  /** Documents deleted by the application since stage 3 (still in MongoDB). */
  appDeleted: number;
  rejected: number;
  mismatches: DocumentMismatch[];
  mismatchCount: number;
  passed: boolean;
}

const MAX_LISTED = 50;

export async function validateCollection(coll: Collection, pool: Pool, plan: CollectionPlan, chunkSize = 1000, onChunk?: () => void): Promise<CollectionValidation> {
  const res: CollectionValidation = { collection: plan.collection, mongoDocuments: 0, mysqlRows: 0, matched: 0, appOwned: 0, appDeleted: 0, rejected: 0, mismatches: [], mismatchCount: 0, passed: false };
  const mismatch = (id: string, problem: string) => {
    res.mismatchCount++;
    if (res.mismatches.length < MAX_LISTED) res.mismatches.push({ collection: plan.collection, _id: id, problem });
  };
  const rejects = await countRejects(pool, plan);
  // MongoDB's ids, to find MySQL rows it does not account for without querying it again (hex/text: ~50 B each).
  const mongoIds = new Set<string>();
  for await (const docs of chunksAfter(coll, plan.idType, null, chunkSize)) {
    const ids = docs.map((d) => idText(plan.idType, d._id));
    const [rows, states] = await Promise.all([readDocumentRows(pool, plan, ids), readDocStates(pool, plan.collection, ids)]);
    for (const [i, doc] of docs.entries()) {
      const id = ids[i]!;
      res.mongoDocuments++;
      const state = states.get(id);
      if (state?.appOwned) {
        if (state.tombstone) res.appDeleted++;
        else res.appOwned++;
        continue;
      }
      let expected: string;
      try {
        expected = documentChecksum(mapDocument(plan, doc));
      } catch (err) {
        if (!(err instanceof DocumentRejected)) throw err;
        if (rejects.ids.has(id)) res.rejected++;
        else mismatch(id, `does not fit the plan and is not in the rejects table (${err.reason})`);
        continue;
      }
      const got = rows.get(id);
      if (!got) mismatch(id, 'missing in MySQL');
      else if (documentChecksum(got) !== expected) mismatch(id, 'checksum differs (MySQL rows are not MongoDB\'s document mapped by the plan)');
      else res.matched++;
    }
    for (const id of ids) mongoIds.add(id);
    onChunk?.();
  }
  // Rows MySQL has that neither MongoDB nor an application write accounts for.
  let mysqlAfter: string | null = null;
  for (;;) {
    const [rows] = await pool.query<RowDataPacket[]>({
      sql: `SELECT t.${q('_id')}, s.app_owned FROM ${q(plan.table)} t LEFT JOIN ${q(DOC_STATE_TABLE)} s ON s.coll = ? AND s.doc_id = t.${q('_id')} `
        + `${mysqlAfter === null ? '' : `WHERE t.${q('_id')} > ?`} ORDER BY t.${q('_id')} LIMIT ${chunkSize}`, rowsAsArray: true,
    }, mysqlAfter === null ? [plan.collection] : [plan.collection, mysqlAfter]);
    const list = rows as unknown as unknown[][];
    if (list.length === 0) break;
    res.mysqlRows += list.length;
    const unowned = list.filter((r) => !Number(r[1])).map((r) => String(r[0]));
    for (const id of unowned) if (!mongoIds.has(id)) mismatch(id, 'in MySQL but not in MongoDB, and not written by the application');
    mysqlAfter = String(list[list.length - 1]![0]);
  }
  res.passed = res.mismatchCount === 0;
  return res;
}
