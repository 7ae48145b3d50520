/**
 * Dual write with a real crash (SIGKILL of the application process between the MongoDB write and the
 * MySQL write) repaired by read-through and by the backfill; read-through racing updates; stage TTL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inferPlan } from '../../src/lazy/plan/inferPlan';
import type { LazyPlan } from '../../src/contract/lazyPlan';
import { sampleDocuments } from '../../src/engines/mongodb/collectionReader';
import { installLazy } from '../../src/lazy/installLazy';
import { createLazyStore } from '../../src/lazy/lazyStore';
import { readControl, setControlFlags, setStage } from '../../src/engines/mysql/stageControl';
import { backfillCollection } from '../../src/lazy/backfillCollection';
import { validateCollection } from '../../src/lazy/validateCollection';
import { shipmentDocument, shipmentId } from '../../src/demo/shipmentDocuments';
import { MYSQL_URL, startLazyServers, type LazyServers } from './servers';

let s: LazyServers;
let plan: LazyPlan;
const SERVICE = 'crashy';

beforeAll(async () => {
  s = await startLazyServers('dual');
  await s.mongo.collection('shipments').insertMany(Array.from({ length: 120 }, (_, i) => shipmentDocument(i)));
  plan = (await inferPlan([{ collection: 'shipments', documents: await sampleDocuments(s.mongo.collection('shipments'), 500) }], { nested: 'flatten', rareBelow: 0.05 })).plan;
  await installLazy(s.mysql, plan, SERVICE);
}, 120_000);

afterAll(async () => {
  await s?.stop();
});

function crashChild(op: 'update' | 'delete', id: string): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'dualWriteCrashChild.ts'),
      s.mongoServer.url, s.mongoDatabase, MYSQL_URL, s.mysqlDatabase, SERVICE, op, id, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (_code, signal) => resolve({ signal, out }));
  });
}

async function mysqlStatus(id: string): Promise<string | undefined> {
  const [rows] = await s.mysql.query('SELECT status FROM shipments WHERE _id = ?', [id]);
  return (rows as { status: string }[])[0]?.status;
}

describe('dual write and read-through', () => {
  it('a crash between the two writes is repaired by read-through (read) and by the backfill (never read)', async () => {
    const store = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: 0 });
    await setStage(s.mysql, SERVICE, 1, 2);
    await setControlFlags(s.mysql, SERVICE, { dualConfirmedNow: true });
    const [a, b, c] = [shipmentId(1).toHexString(), shipmentId(2).toHexString(), shipmentId(3).toHexString()];
    // Acknowledged dual writes first: MySQL holds a copy of each, now current.
    for (const id of [shipmentId(1), shipmentId(2), shipmentId(3)]) expect(await store.update(id, { status: 'acknowledged' })).toBe(true);
    expect(await mysqlStatus(a)).toBe('acknowledged');

    for (const [op, id] of [['update', a], ['update', b], ['delete', c]] as const) {
      const res = await crashChild(op, id);
      expect(res.signal).toBe('SIGKILL');
      expect(res.out).not.toContain('not killed');
    }
    // MongoDB has the writes; MySQL still has the old copies, marked pending.
    expect((await s.mongo.collection('shipments').findOne({ _id: shipmentId(1) }))?.status).toBe('written-before-crash');
    expect(await s.mongo.collection('shipments').findOne({ _id: shipmentId(3) })).toBeNull();
    expect(await mysqlStatus(a)).toBe('acknowledged');
    const [pending] = await s.mysql.query('SELECT doc_id, pending FROM _tmig_lazy_docs WHERE pending > 0 ORDER BY doc_id');
    expect(pending).toEqual([{ doc_id: a, pending: 1 }, { doc_id: b, pending: 1 }, { doc_id: c, pending: 1 }]);
    // In stage 2 MongoDB is read: the crashed write is visible.
    expect((await store.get(shipmentId(1)))?.status).toBe('written-before-crash');

    await setStage(s.mysql, SERVICE, 2, 3);
    // Read-through sees the pending mark and re-reads MongoDB instead of serving the stale MySQL copy.
    expect((await store.get(shipmentId(1)))?.status).toBe('written-before-crash');
    expect(await mysqlStatus(a)).toBe('written-before-crash');
    expect(await store.get(shipmentId(3))).toBeNull();

    await setStage(s.mysql, SERVICE, 3, 4);
    const control = (await readControl(s.mysql, SERVICE))!;
    await backfillCollection(s.mongo.collection('shipments'), s.mysql, plan.collections[0]!, { chunkSize: 50, chunkDelayMs: 0, dualConfirmedAt: control.dualConfirmedAt });
    expect(await mysqlStatus(b)).toBe('written-before-crash');
    expect(await mysqlStatus(c)).toBeUndefined();
    const [left] = await s.mysql.query('SELECT COUNT(*) AS n FROM _tmig_lazy_docs WHERE pending > 0');
    expect(left).toEqual([{ n: '0' }]);
    const v = await validateCollection(s.mongo.collection('shipments'), s.mysql, plan.collections[0]!);
    expect(v).toMatchObject({ passed: true, mongoDocuments: 119, mysqlRows: 119 });
    await store.close();
  });

  it('read-through racing updates: the update is never overwritten by the older MongoDB copy', async () => {
    // Stage 4 from the previous test reads through too; use fresh documents nobody has read yet.
    await s.mongo.collection('shipments').insertMany(Array.from({ length: 40 }, (_, i) => shipmentDocument(500 + i)));
    const stores = Array.from({ length: 3 }, () => createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: 0 }));
    const errors: string[] = [];
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const id = shipmentId(500 + i);
      const work = [
        stores[0]!.get(id), stores[1]!.update(id, { status: `updated-${i}` }), stores[2]!.get(id), stores[0]!.get(id), stores[2]!.get(id),
      ];
      for (const r of await Promise.allSettled(work)) if (r.status === 'rejected') errors.push(String(r.reason));
    }));
    expect(errors).toEqual([]);
    for (let i = 0; i < 40; i++) {
      expect((await stores[0]!.get(shipmentId(500 + i)))?.status).toBe(`updated-${i}`);
      expect(await mysqlStatus(shipmentId(500 + i).toHexString())).toBe(`updated-${i}`);
    }
    // MongoDB keeps its older copy; MySQL owns these documents now.
    expect((await s.mongo.collection('shipments').findOne({ _id: shipmentId(500) }))?.status).not.toBe('updated-0');
    for (const st of stores) await st.close();
  });

  it('a stage change reaches every instance within the stage TTL', async () => {
    const ttl = 300;
    const a = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: ttl });
    const b = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: ttl });
    const before = await a.stage();
    expect(await b.stage()).toBe(before);
    await setStage(s.mysql, SERVICE, before, before - 1);
    await new Promise((r) => setTimeout(r, ttl + 50));
    expect([await a.stage(), await b.stage()]).toEqual([before - 1, before - 1]);
    const [writers] = await s.mysql.query('SELECT COUNT(*) AS n FROM _tmig_lazy_writers WHERE service = ? AND stage_seen = ?', [SERVICE, before - 1]);
    expect(Number((writers as { n: string }[])[0]!.n)).toBeGreaterThanOrEqual(2);
    await a.close();
    await b.close();
  });
});
