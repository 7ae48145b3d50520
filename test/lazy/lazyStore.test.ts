// The application library against real FerretDB and MariaDB: plan, dual write, read-through, rejects, backfill, validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { inferPlan } from '../../src/lazy/plan/inferPlan';
import { parseLazyPlan, type LazyPlan } from '../../src/contract/lazyPlan';
import { sampleDocuments } from '../../src/engines/mongodb/collectionReader';
import { installLazy } from '../../src/lazy/installLazy';
import { createLazyStore } from '../../src/lazy/lazyStore';
import { setStage } from '../../src/engines/mysql/stageControl';
import { backfillCollection } from '../../src/lazy/backfillCollection';
import { validateCollection } from '../../src/lazy/validateCollection';
import { readControl } from '../../src/engines/mysql/stageControl';
import { shipmentDocument, shipmentId } from '../../src/demo/shipmentDocuments';
import { startLazyServers, type LazyServers } from './servers';

let s: LazyServers;
let plan: LazyPlan;
const SERVICE = 'shipments-svc';

beforeAll(async () => {
  s = await startLazyServers('store');
  await s.mongo.collection('shipments').insertMany(Array.from({ length: 200 }, (_, i) => shipmentDocument(i)));
  // A rare field and a mixed-type field, for the plan report.
  await s.mongo.collection('shipments').updateOne({ _id: shipmentId(3) }, { $set: { customsCode: 'X1' } });
  await s.mongo.collection('shipments').updateOne({ _id: shipmentId(4) }, { $set: { pieces: 'two' } });
  const { plan: proposed, findings } = await inferPlan([{ collection: 'shipments', documents: await sampleDocuments(s.mongo.collection('shipments'), 1000) }], { nested: 'flatten', rareBelow: 0.05 });
  expect(findings.find((f) => f.path === 'customsCode')).toMatchObject({ kind: 'rare-field', count: 1, sampled: 200 });
  expect(findings.find((f) => f.path === 'pieces')).toMatchObject({ kind: 'mixed-types', count: 200 });
  // The reviewer pins `pieces` to int: the odd document must then go to rejects, not be dropped.
  const reviewed = parseYaml(toYaml(proposed)) as LazyPlan;
  reviewed.collections[0]!.columns.find((c) => c.path === 'pieces')!.type = 'int';
  plan = parseLazyPlan(reviewed);
  const c = plan.collections[0]!;
  expect(c.children.map((ch) => ch.path)).toEqual(['items']);
  expect(c.columns.map((col) => col.column)).toEqual(expect.arrayContaining(['sender_city', 'recipient_postcode', 'tags', 'weightKg']));
  await installLazy(s.mysql, plan, SERVICE);
}, 120_000);

afterAll(async () => {
  await s?.stop();
});

describe('lazy store', () => {
  it('follows the stages: dual write, read-through, app writes own the row, backfill skips migrated ones, validation passes', async () => {
    const store = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: 0 });
    expect(await store.stage()).toBe(1);
    await store.update(shipmentId(10), { status: 'legacy-write' });
    expect((await s.mysql.query(`SELECT COUNT(*) AS n FROM shipments`))[0]).toEqual([{ n: '0' }]);

    await setStage(s.mysql, SERVICE, 1, 2);
    await store.update(shipmentId(11), { status: 'dual-write', 'sender.city': 'Oslo' });
    await store.insert({ ...shipmentDocument(1000), _id: shipmentId(1000) });
    await store.delete(shipmentId(12));
    const [rows] = await s.mysql.query(`SELECT _id, status, sender_city FROM shipments ORDER BY _id`);
    expect(rows).toEqual([
      { _id: shipmentId(11).toHexString(), status: 'dual-write', sender_city: 'Oslo' },
      { _id: shipmentId(1000).toHexString(), status: (shipmentDocument(1000) as { status: string }).status, sender_city: (shipmentDocument(1000) as { sender: { city: string } }).sender.city },
    ]);
    // The rejected document: MongoDB accepted it (truth in stage 2), MySQL keeps it in rejects.
    await store.update(shipmentId(4), { status: 'touched' });
    const [rej] = await s.mysql.query(`SELECT _id_text, reason FROM shipments__rejects`);
    expect(rej).toEqual([{ _id_text: shipmentId(4).toHexString(), reason: expect.stringContaining('pieces') }]);

    await s.mysql.query(`UPDATE _tmig_lazy_control SET dual_confirmed_at = NOW(6) WHERE service = ?`, [SERVICE]);
    await setStage(s.mysql, SERVICE, 2, 3);
    const got = await store.get(shipmentId(20));
    expect(got).toEqual(shipmentDocument(20));
    expect(store.stats.readThroughCopies).toBe(1);
    expect(await store.get(shipmentId(12))).toBeNull();
    expect((await store.get(shipmentId(4)))?.pieces).toBe('two');
    // A stage-3 write owns the row; MongoDB keeps its older copy.
    expect(await store.update(shipmentId(21), { status: 'mysql-only' })).toBe(true);
    expect((await s.mongo.collection('shipments').findOne({ _id: shipmentId(21) }))?.status).not.toBe('mysql-only');
    expect((await store.get(shipmentId(21)))?.status).toBe('mysql-only');
    expect((await store.findBy('trackingNo', 'TRK0000000022')).map((d) => d._id.toHexString())).toEqual([shipmentId(22).toHexString()]);

    await setStage(s.mysql, SERVICE, 3, 4);
    const control = (await readControl(s.mysql, SERVICE))!;
    const result = await backfillCollection(s.mongo.collection('shipments'), s.mysql, plan.collections[0]!, { chunkSize: 37, chunkDelayMs: 0, dualConfirmedAt: control.dualConfirmedAt });
    // 200 + 1 inserted - 1 deleted = 200 documents in MongoDB. Current already: 20 and 22 (read through), 21 (app).
    // 11 and 1000 were dual-written before every writer confirmed stage 2, so they are re-copied; 1 rejected.
    expect(result).toMatchObject({ docsRead: 200, docsSkipped: 3, docsRejected: 1, docsCopied: 196, done: true });
    expect((await store.get(shipmentId(21)))?.status).toBe('mysql-only');
    const v = await validateCollection(s.mongo.collection('shipments'), s.mysql, plan.collections[0]!, 50);
    expect(v).toMatchObject({ passed: true, mongoDocuments: 200, matched: 198, appOwned: 1, rejected: 1, mismatchCount: 0, mysqlRows: 199 });

    // A MySQL row changed behind the library's back is named by _id.
    await s.mysql.query(`UPDATE shipments SET weightKg = weightKg + 1 WHERE _id = ?`, [shipmentId(30).toHexString()]);
    await s.mysql.query(`DELETE FROM shipments__items WHERE _parent_id = ? AND _position = 0`, [shipmentId(31).toHexString()]);
    const bad = await validateCollection(s.mongo.collection('shipments'), s.mysql, plan.collections[0]!, 50);
    expect(bad.passed).toBe(false);
    expect(bad.mismatches.map((m) => m._id).sort()).toEqual([shipmentId(30).toHexString(), shipmentId(31).toHexString()].sort());
    await store.close();
  });
});
