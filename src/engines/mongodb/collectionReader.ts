/**
 * Reading a MongoDB collection for the lazy migration: samples for the plan, `_id` keyset chunks
 * for the backfill and validation, counts. Uses only find/sort/limit/countDocuments, which FerretDB has.
 */
import type { Collection, Db, Document } from 'mongodb';
import { idValue } from './columnValues';
import type { IdType } from '../../contract/lazyPlan';

export async function listCollectionNames(db: Db): Promise<string[]> {
  const cols = await db.listCollections({}, { nameOnly: true }).toArray();
  return cols.map((c) => c.name).filter((n) => !n.startsWith('system.')).sort();
}

/**
 * The first `size` documents in `_id` order, with BSON number types kept (Int32/Long/Double).
 * (Not `$sample`: FerretDB v1 lacks it; the README says the sample is the lowest `_id`s.)
 */
export async function sampleDocuments(coll: Collection, size: number): Promise<Record<string, unknown>[]> {
  return coll.find({}, { promoteValues: false, sort: { _id: 1 }, limit: size }).toArray() as Promise<Record<string, unknown>[]>;
}

/** Documents with `_id` > after (text form, null = from the start), in `_id` order. */
export async function readChunkAfter(coll: Collection, idType: IdType, after: string | null, limit: number): Promise<Document[]> {
  const filter = after === null ? {} : { _id: { $gt: idValue(idType, after) } };
  return coll.find(filter as Document, { sort: { _id: 1 }, limit }).toArray();
}

/**
 * One `_id`-ordered cursor from `after` (exclusive), read in batches of `batchSize`: a single scan per
 * pass. (Repeated `$gt` + sort + limit queries rescan the collection on FerretDB's SQLite backend,
 * which pushes down only `_id` equality.)
 */
export async function* chunksAfter(coll: Collection, idType: IdType, after: string | null, batchSize: number): AsyncGenerator<Document[]> {
  const filter = after === null ? {} : { _id: { $gt: idValue(idType, after) } };
  const cursor = coll.find(filter as Document, { sort: { _id: 1 }, batchSize });
  try {
    let buf: Document[] = [];
    for await (const doc of cursor) {
      buf.push(doc);
      if (buf.length === batchSize) {
        yield buf;
        buf = [];
      }
    }
    if (buf.length > 0) yield buf;
  } finally {
    await cursor.close();
  }
}

export async function findById(coll: Collection, idType: IdType, id: string): Promise<Document | null> {
  return coll.findOne({ _id: idValue(idType, id) } as Document);
}

export async function findByIds(coll: Collection, idType: IdType, ids: string[]): Promise<Document[]> {
  if (ids.length === 0) return [];
  return coll.find({ _id: { $in: ids.map((i) => idValue(idType, i)) } } as Document).toArray();
}

export async function countDocuments(coll: Collection): Promise<number> {
  return coll.countDocuments({});
}

/**
 * `source` with its next item requested while the caller works on the current one: MongoDB reads the
 * next chunk while MySQL writes this one. At most one item waits; the order is kept, so a consumer that
 * commits item by item (the backfill's checkpoint) is unaffected, and a crash loses only the read-ahead.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  // The pending read is awaited later; the no-op catch keeps its rejection from counting as unhandled meanwhile.
  const request = () => {
    const p = source.next();
    p.catch(() => undefined);
    return p;
  };
  try {
    let pending = request();
    for (;;) {
      const r = await pending;
      if (r.done) return;
      pending = request();
      yield r.value;
    }
  } finally {
    await source.return(undefined);
  }
}
