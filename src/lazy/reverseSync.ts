/**
 * Rollback from read-through (stage 3) to dual write (stage 2): documents the application wrote in
 * MySQL since stage 3 are written back to MongoDB (deletions deleted), then handed back to MongoDB.
 */
import type { Db, Document } from 'mongodb';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { inTransaction } from '../engines/mysql/connection';
import { lockDocStates, releaseClaims, writeDocStates } from '../engines/mysql/docState';
import { readDocumentRows } from '../engines/mysql/documentRows';
import { DOC_STATE_TABLE } from '../engines/mysql/lazyDdl';
import { quoteIdent as q } from '../engines/mysql/quoting';
import { idValue } from '../engines/mongodb/columnValues';
import { assembleDocument } from '../engines/mongodb/documentMapping';
import type { LazyPlan } from '../contract/lazyPlan';

export async function reverseSyncAppWrites(mongo: Db, pool: Pool, plan: LazyPlan): Promise<number> {
  let synced = 0;
  for (const c of plan.collections) {
    const coll = mongo.collection(c.collection);
    for (;;) {
      const [rows] = await pool.query<RowDataPacket[]>(`SELECT doc_id FROM ${q(DOC_STATE_TABLE)} WHERE coll = ? AND app_owned = 1 ORDER BY doc_id LIMIT 200`, [c.collection]);
      if (rows.length === 0) break;
      for (const r of rows) {
        const id = String(r.doc_id);
        await inTransaction(pool, async (conn) => {
          const state = (await lockDocStates(conn, c.collection, [id])).get(id);
          if (!state?.appOwned) return void (await releaseClaims(conn, c.collection, [id]));
          const filter = { _id: idValue(c.idType, id) } as Document;
          const mapped = state.tombstone ? undefined : (await readDocumentRows(conn, c, [id])).get(id);
          if (mapped) await coll.replaceOne(filter, assembleDocument(c, mapped, idValue(c.idType, id)), { upsert: true });
          else await coll.deleteOne(filter);
          await writeDocStates(conn, c.collection, [{ docId: id, origin: 'dual', tombstone: !mapped }]);
        });
        synced++;
      }
    }
  }
  return synced;
}
