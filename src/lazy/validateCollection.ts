/**
 * Validation of one collection: every MongoDB document mapped by the plan against MySQL's rows
 * (child tables included) by a canonical per-document checksum, plus the accounting of what
 * MySQL holds that MongoDB does not (application writes since stage 3, rejects, deletions).
 *
 * Memory stays bounded by the batch size (two batches: the next is read ahead), whatever the collection's size: one `_id`-sorted MongoDB
 * cursor read in batches, each batch compared by its key set (MySQL rows and states looked up by
 * those ids); and one MySQL primary-key walk, advanced batch by batch up to the MongoDB batch's
 * last id, to find rows MongoDB lacks. The two orders agree for ObjectId (hex) and integer ids but
 * not always for strings (MySQL's PAD SPACE collations sort 'a\t' before 'a'; MongoDB compares
 * bytes), so a MySQL row not in the current MongoDB batch is only a candidate: it is looked up in
 * MongoDB by `_id` (an equality FerretDB pushes down) before it is reported.
 */
import type { Collection, Document } from 'mongodb';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { chunksAfter, findById, readAhead } from '../engines/mongodb/collectionReader';
import { readDocStates } from '../engines/mysql/docState';
import { readDocumentRows } from '../engines/mysql/documentRows';
import { DOC_STATE_TABLE } from '../engines/mysql/lazyDdl';
import { quoteIdent as q } from '../engines/mysql/quoting';
import { rejectedAmong } from '../engines/mysql/rejects';
import { canonicalJson, idText, ValueDoesNotFit } from '../engines/mongodb/columnValues';
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
  const walk = new MysqlKeyWalk(pool, plan, chunkSize);
  // The next MongoDB batch is read while this one is compared (readAhead: at most two batches in memory).
  for await (const docs of readAhead(chunksAfter(coll, plan.idType, null, chunkSize))) {
    const batch: { id: string; doc: Document }[] = [];
    for (const doc of docs) {
      res.mongoDocuments++;
      try {
        batch.push({ id: idText(plan.idType, doc._id), doc });
      } catch (err) {
        if (!(err instanceof ValueDoesNotFit)) throw err;
        mismatch(canonicalJson(doc._id), `_id is not of the plan's id type ${plan.idType} (${err.message})`);
      }
    }
    const ids = batch.map((b) => b.id);
    const [rows, states, rejected] = await Promise.all([readDocumentRows(pool, plan, ids), readDocStates(pool, plan.collection, ids), rejectedAmong(pool, plan, ids)]);
    for (const { id, doc } of batch) {
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
        if (rejected.has(id)) res.rejected++;
        else mismatch(id, `does not fit the plan and is not in the rejects table (${err.reason})`);
        continue;
      }
      const got = rows.get(id);
      if (!got) mismatch(id, 'missing in MySQL');
      else if (documentChecksum(got) !== expected) mismatch(id, 'checksum differs (MySQL rows are not MongoDB\'s document mapped by the plan)');
      else res.matched++;
    }
    // MySQL rows up to this batch's last id that are not in the batch: candidates for "extra".
    if (ids.length > 0) {
      const inBatch = new Set(ids);
      for await (const keys of walk.batchesUpTo(ids[ids.length - 1]!)) await accountExtras(keys, inBatch);
    }
    onChunk?.();
  }
  // MySQL rows after MongoDB's last id (or all of them, for an empty collection).
  for await (const keys of walk.batchesUpTo(null)) {
    await accountExtras(keys, new Set());
    onChunk?.();
  }
  res.passed = res.mismatchCount === 0;
  return res;

  async function accountExtras(rows: MysqlKey[], inBatch: Set<string>): Promise<void> {
    res.mysqlRows += rows.length;
    for (const r of rows) {
      if (r.appOwned || inBatch.has(r.id)) continue;
      // Not in this MongoDB batch: in MongoDB elsewhere (the orders disagreed), or not at all.
      if (!(await findById(coll, plan.idType, r.id))) mismatch(r.id, 'in MySQL but not in MongoDB, and not written by the application');
    }
  }
}

interface MysqlKey {
  id: string;
  appOwned: boolean;
}

/** The parent table's primary keys in MySQL's own index order, in bounded batches, never revisiting a key. */
class MysqlKeyWalk {
  private after: string | null = null;

  constructor(private readonly pool: Pool, private readonly plan: CollectionPlan, private readonly batchSize: number) {}

  /** Batches of the keys after the last one returned and <= `upTo` (MySQL's comparison; null: to the end). */
  async *batchesUpTo(upTo: string | null): AsyncGenerator<MysqlKey[]> {
    for (;;) {
      const batch = await this.next(upTo);
      if (batch.length > 0) yield batch;
      if (batch.length < this.batchSize) return;
    }
  }

  private async next(upTo: string | null): Promise<MysqlKey[]> {
    const id = `t.${q('_id')}`;
    // Integer ids compare as BIGINT (a text parameter would compare as DOUBLE and lose precision past 2^53).
    const param = this.plan.idType === 'int' ? 'CAST(? AS SIGNED)' : '?';
    const where: string[] = [];
    const params: unknown[] = [this.plan.collection];
    if (this.after !== null) { where.push(`${id} > ${param}`); params.push(this.after); }
    if (upTo !== null) { where.push(`${id} <= ${param}`); params.push(upTo); }
    const [rows] = await this.pool.query<RowDataPacket[]>({
      sql: `SELECT ${id}, s.app_owned FROM ${q(this.plan.table)} t LEFT JOIN ${q(DOC_STATE_TABLE)} s ON s.coll = ? AND s.doc_id = ${id} `
        + `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${id} LIMIT ${Number(this.batchSize)}`,
      rowsAsArray: true,
    }, params);
    const list = (rows as unknown as unknown[][]).map((r) => ({ id: String(r[0]), appOwned: !!Number(r[1]) }));
    if (list.length > 0) this.after = list[list.length - 1]!.id;
    return list;
  }
}
