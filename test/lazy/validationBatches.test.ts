// Validation in bounded batches against real FerretDB and MariaDB: more documents than one batch,
// a changed, a missing and two extra documents each named; string ids whose order MySQL and
// MongoDB disagree on ('a\t' sorts before 'a' in MySQL's PAD SPACE collation) raise no false alarm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferPlan } from '../../src/lazy/plan/inferPlan';
import type { CollectionPlan, LazyPlan } from '../../src/contract/lazyPlan';
import { sampleDocuments } from '../../src/engines/mongodb/collectionReader';
import { mapDocument } from '../../src/engines/mongodb/documentMapping';
import { insertDocumentRows } from '../../src/engines/mysql/documentRows';
import { readControl, setControlFlags, setStage } from '../../src/engines/mysql/stageControl';
import { installLazy } from '../../src/lazy/installLazy';
import { backfillCollection } from '../../src/lazy/backfillCollection';
import { validateCollection } from '../../src/lazy/validateCollection';
import { shipmentDocument, shipmentId } from '../../src/demo/shipmentDocuments';
import { startLazyServers, type LazyServers } from './servers';

let s: LazyServers;
let plan: LazyPlan;
const SERVICE = 'validate-svc';
const PARCELS = 450;
const BATCH = 100;
// PAD SPACE compares 'k7' as 'k7 ', so MySQL sorts 'k7\t' and 'k7\u0001x' before 'k7'; MongoDB puts 'k7' first.
const LABEL_IDS = Array.from({ length: 60 }, (_, i) => [`k${i}`, `k${i}\t`, `k${i}\u0001x`]).flat();

const byId = (a: { _id: string }, b: { _id: string }) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

async function planOf(collection: string): Promise<CollectionPlan> {
  const { plan: p } = await inferPlan([{ collection, documents: await sampleDocuments(s.mongo.collection(collection), 1000) }], { nested: 'flatten', rareBelow: 0.05 });
  return p.collections[0]!;
}

beforeAll(async () => {
  s = await startLazyServers('validate');
  await s.mongo.collection('parcels').insertMany(Array.from({ length: PARCELS }, (_, i) => shipmentDocument(i)));
  await s.mongo.collection('labels').insertMany(LABEL_IDS.map((id, i) => ({ _id: id as never, text: `label ${i}`, copies: i % 4 })));
  plan = { version: 1, collections: [await planOf('parcels'), await planOf('labels')] } as LazyPlan;
  expect(plan.collections.map((c) => c.idType)).toEqual(['objectId', 'string']);
  await installLazy(s.mysql, plan, SERVICE);
  await setStage(s.mysql, SERVICE, 1, 2);
  await setControlFlags(s.mysql, SERVICE, { dualConfirmedNow: true });
  await setStage(s.mysql, SERVICE, 2, 3);
  await setStage(s.mysql, SERVICE, 3, 4);
  const control = (await readControl(s.mysql, SERVICE))!;
  for (const c of plan.collections) {
    const r = await backfillCollection(s.mongo.collection(c.collection), s.mysql, c, { chunkSize: BATCH, chunkDelayMs: 0, dualConfirmedAt: control.dualConfirmedAt });
    expect(r.done).toBe(true);
  }
}, 180_000);

afterAll(async () => {
  await s?.stop();
});

describe('validation in bounded batches', () => {
  it('names a changed, a missing and extra documents across several batches', async () => {
    const c = plan.collections[0]!;
    const coll = s.mongo.collection('parcels');
    let batches = 0;
    const clean = await validateCollection(coll, s.mysql, c, BATCH, () => { batches++; });
    expect(clean).toMatchObject({ passed: true, mongoDocuments: PARCELS, mysqlRows: PARCELS, matched: PARCELS, mismatchCount: 0 });
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(PARCELS / BATCH));

    const changed = shipmentId(123).toHexString();
    const missing = shipmentId(250).toHexString();
    const extraInside = shipmentId(200).toHexString(); // deleted from MongoDB behind the library's back
    const extraAfter = shipmentId(100_000).toHexString(); // beyond MongoDB's last id
    await s.mysql.query('UPDATE parcels SET notes = ? WHERE _id = ?', ['tampered', changed]);
    await s.mysql.query('DELETE FROM parcels WHERE _id = ?', [missing]);
    await coll.deleteOne({ _id: shipmentId(200) });
    await insertDocumentRows(s.mysql, c, [mapDocument(c, { ...shipmentDocument(300), _id: shipmentId(100_000) })]);

    const v = await validateCollection(coll, s.mysql, c, BATCH);
    expect(v).toMatchObject({ passed: false, mongoDocuments: PARCELS - 1, mysqlRows: PARCELS, matched: PARCELS - 3, mismatchCount: 4 });
    expect([...v.mismatches].sort(byId)).toEqual([
      { collection: 'parcels', _id: changed, problem: expect.stringContaining('checksum differs') },
      { collection: 'parcels', _id: extraInside, problem: expect.stringContaining('not in MongoDB') },
      { collection: 'parcels', _id: missing, problem: 'missing in MySQL' },
      { collection: 'parcels', _id: extraAfter, problem: expect.stringContaining('not in MongoDB') },
    ].sort(byId));
  });

  it('string ids in orders MySQL and MongoDB disagree on: no false mismatch, a real extra still found', async () => {
    const c = plan.collections[1]!;
    const coll = s.mongo.collection('labels');
    // The premise: MySQL's primary-key order differs from MongoDB's _id order for these ids.
    const [mysqlOrder] = await s.mysql.query('SELECT _id FROM labels ORDER BY _id') as unknown as [{ _id: string }[]];
    const mongoOrder = (await coll.find({}, { sort: { _id: 1 }, projection: { _id: 1 } }).toArray()).map((d) => String(d._id));
    expect(mysqlOrder.map((r) => r._id)).not.toEqual(mongoOrder);
    expect([...mysqlOrder.map((r) => r._id)].sort()).toEqual([...mongoOrder].sort());

    const clean = await validateCollection(coll, s.mysql, c, 7);
    expect(clean).toMatchObject({ passed: true, mongoDocuments: LABEL_IDS.length, mysqlRows: LABEL_IDS.length, matched: LABEL_IDS.length, mismatchCount: 0 });

    await coll.deleteOne({ _id: 'k31\t' as never });
    const v = await validateCollection(coll, s.mysql, c, 7);
    expect(v).toMatchObject({ passed: false, mismatchCount: 1, mismatches: [{ collection: 'labels', _id: 'k31\t', problem: expect.stringContaining('not in MongoDB') }] });
  });
});
