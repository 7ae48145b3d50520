/**
 * The read-through / application-write race on a never-migrated document, driven step by step: the
 * read-through is held inside its transaction (after reading MongoDB, before writing MySQL) while the
 * application writes. READ COMMITTED takes no gap lock on a missing state row, so the two must
 * serialize on the claimed state row; otherwise the read-through overwrites the write with MongoDB's
 * older copy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowDataPacket } from 'mysql2/promise';
import { inferPlan } from '../../src/lazy/plan/inferPlan';
import type { LazyPlan } from '../../src/contract/lazyPlan';
import { sampleDocuments } from '../../src/engines/mongodb/collectionReader';
import { installLazy } from '../../src/lazy/installLazy';
import { createLazyStore, type LazyStore } from '../../src/lazy/lazyStore';
import { setControlFlags, setStage } from '../../src/engines/mysql/stageControl';
import { countDocStates } from '../../src/engines/mysql/docState';
import { shipmentDocument, shipmentId } from '../../src/demo/shipmentDocuments';
import { startLazyServers, type LazyServers } from './servers';

let s: LazyServers;
let plan: LazyPlan;
const SERVICE = 'racy';

beforeAll(async () => {
  s = await startLazyServers('race');
  await s.mongo.collection('shipments').insertMany(Array.from({ length: 20 }, (_, i) => shipmentDocument(i)));
  plan = (await inferPlan([{ collection: 'shipments', documents: await sampleDocuments(s.mongo.collection('shipments'), 500) }], { nested: 'flatten', rareBelow: 0.05 })).plan;
  await installLazy(s.mysql, plan, SERVICE);
  await setStage(s.mysql, SERVICE, 1, 2);
  await setControlFlags(s.mysql, SERVICE, { dualConfirmedNow: true });
  await setStage(s.mysql, SERVICE, 2, 3);
}, 120_000);

afterAll(async () => {
  await s?.stop();
});

/** A read-through store that stops inside its transaction for `heldId` until released. */
function heldReader(heldId: string) {
  let paused!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => { paused = r; });
  const gate = new Promise<void>((r) => { release = r; });
  const store = createLazyStore({
    mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: 0,
    afterReadThroughFetch: async (id) => {
      if (id !== heldId) return;
      paused();
      await gate;
    },
  });
  return { store, reached, release };
}

/**
 * Resolves once `work` settled or a statement on the state table in this test's database has been
 * running for 300 ms (blocked on the held read-through's row lock; such a statement takes milliseconds).
 * The processlist, not INNODB_TRX: MariaDB's INNODB_TRX shows a lock wait only seconds later.
 */
async function settledOrWaiting(work: Promise<unknown>): Promise<'settled' | 'waiting'> {
  let settled = false;
  work.then(() => { settled = true; }, () => { settled = true; });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (settled) return 'settled';
    const [rows] = await s.mysql.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND = 'Query' AND TIME_MS >= 300 AND INFO LIKE '%_tmig_lazy_docs%' AND INFO NOT LIKE '%PROCESSLIST%'",
      [s.mysqlDatabase]);
    if (Number(rows[0]!.n) > 0) return 'waiting';
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the application write neither finished nor waited for a lock within 60 s');
}

async function stateOf(id: string): Promise<RowDataPacket | undefined> {
  const [rows] = await s.mysql.query<RowDataPacket[]>('SELECT origin, app_owned FROM _tmig_lazy_docs WHERE coll = ? AND doc_id = ?', ['shipments', id]);
  return rows[0];
}

describe('read-through racing an application write on a never-migrated document', () => {
  let writer: LazyStore;
  beforeAll(() => {
    writer = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service: SERVICE, stageTtlMs: 0 });
  });
  afterAll(async () => {
    await writer.close();
  });

  it('an update issued while a read-through holds MongoDB\'s copy is kept (it waits for the read-through)', async () => {
    const id = shipmentId(3);
    const hex = id.toHexString();
    const r = heldReader(hex);
    const read = r.store.get(id);
    await r.reached;
    const update = writer.update(id, { status: 'raced-update' });
    const phase = await settledOrWaiting(update);
    r.release();
    const [readDoc, updated] = await Promise.all([read, update]);
    expect(updated).toBe(true);
    expect(readDoc?.status).toBe(shipmentDocument(3).status);
    // The update is the last word in MySQL and MySQL owns the document.
    const [rows] = await s.mysql.query<RowDataPacket[]>('SELECT status FROM shipments WHERE _id = ?', [hex]);
    expect(rows.map((x) => x.status)).toEqual(['raced-update']);
    expect(await stateOf(hex)).toMatchObject({ origin: 'app', app_owned: 1 });
    expect((await writer.get(id))?.status).toBe('raced-update');
    // The write serialized behind the read-through instead of racing it.
    expect(phase).toBe('waiting');
    await r.store.close();
  });

  it('an insert issued while a read-through misses waits, then lands; a miss leaves no state row', async () => {
    const id = shipmentId(900);
    const hex = id.toHexString();
    const r = heldReader(hex);
    const read = r.store.get(id);
    await r.reached;
    const insert = writer.insert(shipmentDocument(900));
    const phase = await settledOrWaiting(insert);
    r.release();
    expect(await read).toBeNull();
    await insert;
    expect(phase).toBe('waiting');
    expect(await stateOf(hex)).toMatchObject({ origin: 'app', app_owned: 1 });
    expect((await writer.get(id))?._id).toEqual(id);

    // Misses of documents that never existed (read, update) leave nothing behind.
    const ghost = shipmentId(901);
    expect(await r.store.get(ghost)).toBeNull();
    expect(await writer.update(ghost, { status: 'x' })).toBe(false);
    expect(await stateOf(ghost.toHexString())).toBeUndefined();
    expect((await countDocStates(s.mysql)).map((c) => c.origin)).not.toContain('claim');
    const [claims] = await s.mysql.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM _tmig_lazy_docs WHERE origin = 'claim'");
    expect(Number(claims[0]!.n)).toBe(0);
    await r.store.close();
  });
});
