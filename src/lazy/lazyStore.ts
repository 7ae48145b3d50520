/**
 * The application library of a lazy migration: stage-aware get / findBy / insert / update / delete
 * over MongoDB (old store) and MySQL (new store). Write order and failure rules: README "Lazy migration".
 *
 * Stage 1 legacy: MongoDB only.
 * Stage 2 dual write: mark pending in MySQL, write MongoDB (the truth), copy MongoDB's document to
 *   MySQL under the row lock, clear pending. A crash in between leaves `pending` > 0: read-through
 *   and the backfill treat the MySQL copy as stale and re-read MongoDB.
 * Stage 3/4: MySQL is the truth; a miss (or a stale copy) reads MongoDB, inserts if absent, returns it.
 *   Writes go to MySQL only and own the row: an older MongoDB copy never overwrites them.
 * Stage 5 cleanup: MySQL only.
 */
import { randomUUID } from 'node:crypto';
import { BSON, type Db, type Document } from 'mongodb';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { findById } from '../engines/mongodb/collectionReader';
import { inTransaction } from '../engines/mysql/connection';
import { beginDualWrite, isCurrent, lockDocStates, readDocStates, releaseClaims, writeDocStates, type DocState } from '../engines/mysql/docState';
import { deleteDocumentRows, readDocumentRows, replaceDocumentRows } from '../engines/mysql/documentRows';
import { recordReject, removeReject } from '../engines/mysql/rejects';
import { removeWriter } from '../engines/mysql/stageControl';
import { quoteIdent as q } from '../engines/mysql/quoting';
import { columnText, idText, idValue } from '../engines/mongodb/columnValues';
import { assembleDocument, DocumentRejected, mapDocument, type MappedDocument } from '../engines/mongodb/documentMapping';
import { collectionPlan, type CollectionPlan, type LazyPlan } from '../contract/lazyPlan';
import { StageCache } from './stageCache';
import { LazyStage } from '../contract/lazyMigration';

export interface LazyStoreOptions {
  /** The MongoDB database (old store), from the official driver. */
  mongo: Db;
  /** A mysql2 pool on the MySQL database (new store); create it with `createMysqlPool` for the right settings. */
  mysql: Pool;
  plan: LazyPlan;
  collection: string;
  /** Service (tenant) whose stage this instance follows; default `default`. */
  service?: string;
  /** How long a stage read is trusted; a stage change reaches this instance within this time. Default 2000 ms. */
  stageTtlMs?: number;
  instanceId?: string;
  /** Fault injection for tests: runs between the MongoDB write and the MySQL write of a dual write. */
  afterMongoWrite?: (op: 'insert' | 'update' | 'delete', id: string) => Promise<void> | void;
  /** Test hook: runs inside a read-through's transaction after MongoDB was read, before MySQL is written. */
  afterReadThroughFetch?: (id: string) => Promise<void> | void;
}

/** The stage moved on while a dual write was in flight; the write was not acknowledged (retry it). */
export class StageChangedError extends Error {}
export class DuplicateKeyError extends Error {}

export interface LazyStoreStats {
  readThroughCopies: number;
  readThroughMisses: number;
}

export interface LazyStore {
  get(id: unknown): Promise<Document | null>;
  /** Documents whose planned scalar field `path` equals `value`. */
  findBy(path: string, value: unknown): Promise<Document[]>;
  insert(doc: Document): Promise<void>;
  /** `$set` of dotted paths; false when the document does not exist. */
  update(id: unknown, set: Record<string, unknown>): Promise<boolean>;
  delete(id: unknown): Promise<boolean>;
  stage(): Promise<number>;
  readonly stats: LazyStoreStats;
  /** Stops reporting this instance as a writer. */
  close(): Promise<void>;
}

export function createLazyStore(opts: LazyStoreOptions): LazyStore {
  const plan = collectionPlan(opts.plan, opts.collection);
  const service = opts.service ?? 'default';
  const instanceId = opts.instanceId ?? randomUUID();
  const cache = new StageCache(opts.mysql, service, instanceId, opts.stageTtlMs ?? 2000);
  const coll = opts.mongo.collection(plan.collection);
  const pool = opts.mysql;
  const stats: LazyStoreStats = { readThroughCopies: 0, readThroughMisses: 0 };
  const key = (id: unknown) => idText(plan.idType, id);
  const docOf = (m: MappedDocument) => assembleDocument(plan, m, idValue(plan.idType, m.id));

  /** Stage 2: copy MongoDB's current document to MySQL under the row lock, then clear one pending mark. */
  async function finishDualWrite(id: string): Promise<void> {
    await inTransaction(pool, async (conn) => {
      const state = (await lockDocStates(conn, plan.collection, [id])).get(id);
      if (state?.appOwned) throw new StageChangedError(`collection ${plan.collection}, _id ${id}: MySQL already owns this document (stage 3 writers run); retry`);
      const doc = await findById(coll, plan.idType, id);
      await syncFromMongo(conn, id, doc, 'dual', 'dual', -1);
    });
  }

  /** Makes MySQL hold MongoDB's `doc` (or its absence); a document that does not fit goes to rejects. */
  async function syncFromMongo(conn: PoolConnection, id: string, doc: Document | null, origin: 'dual' | 'read', foundBy: string, pendingDelta: number): Promise<MappedDocument | null> {
    if (!doc) {
      await deleteDocumentRows(conn, plan, [id]);
      await writeDocStates(conn, plan.collection, [{ docId: id, origin, tombstone: true, pendingDelta }]);
      return null;
    }
    try {
      const mapped = mapDocument(plan, doc);
      await replaceDocumentRows(conn, plan, mapped);
      await writeDocStates(conn, plan.collection, [{ docId: id, origin, pendingDelta }]);
      await removeReject(conn, plan, [id]);
      return mapped;
    } catch (err) {
      if (!(err instanceof DocumentRejected)) throw err;
      await recordReject(conn, plan, id, err.reason, doc, foundBy);
      await deleteDocumentRows(conn, plan, [id]);
      await writeDocStates(conn, plan.collection, [{ docId: id, origin: 'rejected', pendingDelta }]);
      return null;
    }
  }

  async function dualWrite<T>(op: 'insert' | 'update' | 'delete', id: string, mongoWrite: () => Promise<T>): Promise<T> {
    await beginDualWrite(pool, plan.collection, id);
    const result = await mongoWrite();
    await opts.afterMongoWrite?.(op, id);
    await finishDualWrite(id);
    return result;
  }

  /** Stage 3+: the document as MySQL owns it, read through from MongoDB when MySQL's copy is not current. */
  async function loadForWrite(conn: PoolConnection, id: string, stage: number, dualConfirmedAt: string | null): Promise<{ state: DocState | undefined; mapped: MappedDocument | null; fromMongo: Document | null }> {
    const state = (await lockDocStates(conn, plan.collection, [id])).get(id);
    if (stage >= LazyStage.Cleanup || isCurrent(state, dualConfirmedAt)) {
      if (state?.tombstone) return { state, mapped: null, fromMongo: null };
      return { state, mapped: (await readDocumentRows(conn, plan, [id])).get(id) ?? null, fromMongo: null };
    }
    const doc = await findById(coll, plan.idType, id);
    return { state, mapped: null, fromMongo: doc };
  }

  async function readThrough(id: string, dualConfirmedAt: string | null): Promise<Document | null> {
    let rejectedDoc: Document | null = null;
    const mapped = await inTransaction(pool, async (conn) => {
      rejectedDoc = null;
      const state = (await lockDocStates(conn, plan.collection, [id])).get(id);
      if (isCurrent(state, dualConfirmedAt)) {
        return state!.tombstone ? null : (await readDocumentRows(conn, plan, [id])).get(id) ?? null;
      }
      const doc = await findById(coll, plan.idType, id);
      await opts.afterReadThroughFetch?.(id);
      if (!doc) {
        stats.readThroughMisses++;
        if (state) await syncFromMongo(conn, id, null, 'read', 'read', 0);
        else await releaseClaims(conn, plan.collection, [id]); // no state row for a document that never existed
        return null;
      }
      const copied = await syncFromMongo(conn, id, doc, 'read', 'read', 0);
      if (!copied) rejectedDoc = doc; // kept in rejects; the application still gets MongoDB's document
      else stats.readThroughCopies++;
      return copied;
    });
    return mapped ? docOf(mapped) : rejectedDoc;
  }

  async function getAt(id: string, stage: number, dualConfirmedAt: string | null): Promise<Document | null> {
    if (stage <= LazyStage.DualWrite) return findById(coll, plan.idType, id);
    const state = (await readDocStates(pool, plan.collection, [id])).get(id);
    if (stage >= LazyStage.Cleanup || isCurrent(state, dualConfirmedAt)) {
      if (state?.tombstone) return null;
      const m = (await readDocumentRows(pool, plan, [id])).get(id);
      if (m || stage >= LazyStage.Cleanup) return m ? docOf(m) : null;
    }
    return readThrough(id, dualConfirmedAt);
  }

  /** Runs a write at the current stage; a dual write that finds stage 3 already running is retried once at the new stage. */
  async function withStage<T>(body: (stage: number, dualConfirmedAt: string | null) => Promise<T>): Promise<T> {
    const row = await cache.current();
    try {
      return await body(row.stage, row.dualConfirmedAt);
    } catch (err) {
      if (!(err instanceof StageChangedError)) throw err;
      cache.invalidate();
      const fresh = await cache.current();
      if (fresh.stage <= LazyStage.DualWrite) throw err;
      return body(fresh.stage, fresh.dualConfirmedAt);
    }
  }

  const store: LazyStore = {
    stats,
    async stage() {
      return (await cache.current()).stage;
    },
    async get(id) {
      const row = await cache.current();
      return getAt(key(id), row.stage, row.dualConfirmedAt);
    },
    async findBy(path, value) {
      const col = plan.columns.find((c) => c.path === path);
      if (!col || col.type === 'json') throw new Error(`collection ${plan.collection}: findBy needs a planned scalar field; ${path} is ${col ? 'a JSON column' : 'not in the plan'}`);
      const row = await cache.current();
      if (row.stage <= LazyStage.DualWrite) return coll.find({ [path]: value } as Document).toArray();
      const wanted = columnText(col.type, value, undefined);
      const [rows] = await pool.query({ sql: `SELECT ${q('_id')} FROM ${q(plan.table)} WHERE ${q(col.column)} = ?`, rowsAsArray: true }, [wanted]);
      const ids = new Set((rows as unknown as unknown[][]).map((r) => String(r[0])));
      if (row.stage < LazyStage.Cleanup) {
        for (const d of await coll.find({ [path]: value } as Document, { projection: { _id: 1 } }).toArray()) ids.add(key(d._id));
      }
      const out: Document[] = [];
      for (const id of [...ids].sort()) {
        const doc = await getAt(id, row.stage, row.dualConfirmedAt);
        // MySQL may own a newer version that no longer matches: check the value on the document returned.
        if (doc && mapDocumentSafe(plan, doc)?.row[plan.columns.indexOf(col)] === wanted) out.push(doc);
      }
      return out;
    },
    async insert(doc) {
      const id = key(doc._id);
      await withStage(async (stage, dualConfirmedAt) => {
        if (stage === LazyStage.Legacy) return void (await coll.insertOne(doc));
        if (stage === LazyStage.DualWrite) return void (await dualWrite('insert', id, () => coll.insertOne(doc)));
        const mapped = mapDocument(plan, doc); // a document that does not fit is refused (MySQL is the truth now)
        await inTransaction(pool, async (conn) => {
          const cur = await loadForWrite(conn, id, stage, dualConfirmedAt);
          if (cur.mapped || cur.fromMongo) throw new DuplicateKeyError(`collection ${plan.collection}: _id ${id} exists`);
          await replaceDocumentRows(conn, plan, mapped);
          await writeDocStates(conn, plan.collection, [{ docId: id, origin: 'app', appOwned: true }]);
        });
      });
    },
    async update(id, set) {
      const k = key(id);
      return withStage(async (stage, dualConfirmedAt) => {
        if (stage === LazyStage.Legacy) return (await coll.updateOne({ _id: idValue(plan.idType, k) } as Document, { $set: set })).matchedCount > 0;
        if (stage === LazyStage.DualWrite) {
          return dualWrite('update', k, async () => (await coll.updateOne({ _id: idValue(plan.idType, k) } as Document, { $set: set })).matchedCount > 0);
        }
        return inTransaction(pool, async (conn) => {
          const cur = await loadForWrite(conn, k, stage, dualConfirmedAt);
          const base = cur.mapped ? docOf(cur.mapped) : cur.fromMongo;
          if (!base) {
            await releaseClaims(conn, plan.collection, [k]);
            return false;
          }
          const next = applySet(base, set);
          await replaceDocumentRows(conn, plan, mapDocument(plan, next));
          await writeDocStates(conn, plan.collection, [{ docId: k, origin: 'app', appOwned: true }]);
          return true;
        });
      });
    },
    async delete(id) {
      const k = key(id);
      return withStage(async (stage, dualConfirmedAt) => {
        if (stage === LazyStage.Legacy) return (await coll.deleteOne({ _id: idValue(plan.idType, k) } as Document)).deletedCount > 0;
        if (stage === LazyStage.DualWrite) {
          return dualWrite('delete', k, async () => (await coll.deleteOne({ _id: idValue(plan.idType, k) } as Document)).deletedCount > 0);
        }
        return inTransaction(pool, async (conn) => {
          const cur = await loadForWrite(conn, k, stage, dualConfirmedAt);
          await deleteDocumentRows(conn, plan, [k]);
          await writeDocStates(conn, plan.collection, [{ docId: k, origin: 'app', appOwned: true, tombstone: true }]);
          return !!(cur.mapped || cur.fromMongo);
        });
      });
    },
    async close() {
      await removeWriter(pool, service, instanceId).catch(() => undefined);
    },
  };
  return store;
}

function mapDocumentSafe(plan: CollectionPlan, doc: Document): MappedDocument | null {
  try {
    return mapDocument(plan, doc);
  } catch {
    return null;
  }
}

/** `$set` semantics on a copy: dotted paths create sub-documents as needed. */
function applySet(doc: Document, set: Record<string, unknown>): Document {
  const copy = BSON.deserialize(BSON.serialize(doc)) as Document;
  for (const [path, value] of Object.entries(set)) {
    const parts = path.split('.');
    let cur = copy as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) {
      if (cur[p] === null || typeof cur[p] !== 'object') cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]!] = value;
  }
  return copy;
}
