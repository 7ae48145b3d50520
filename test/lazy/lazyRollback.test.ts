/**
 * Rollback on real parts (Temporal dev server, a worker process, FerretDB, MariaDB): after documents
 * moved to MySQL by read-through, by a partly run backfill and by the application's own writes in
 * MySQL (updates, inserts, a delete), rolling back 4 -> 3 -> 2 -> 1 returns the application to
 * MongoDB with every document exactly as the application last wrote it: nothing lost, nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { BSON, type Document } from 'mongodb';
import { TASK_QUEUE } from '../../src/contract/names';
import {
  advanceUpdate, LAZY_MIGRATION_WORKFLOW, lazyMigrationWorkflowId, lazyStatusQuery, rollbackUpdate, type LazyMigrationInput,
} from '../../src/contract/lazyMigration';
import { canonicalJson } from '../../src/engines/mongodb/columnValues';
import { sampleDocuments } from '../../src/engines/mongodb/collectionReader';
import { readCheckpoint } from '../../src/engines/mysql/backfillChunk';
import { shipmentDocument, shipmentId } from '../../src/demo/shipmentDocuments';
import { createLazyStore } from '../../src/lazy/lazyStore';
import { inferPlan } from '../../src/lazy/plan/inferPlan';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { MYSQL_URL, startLazyServers, type LazyServers } from './servers';
import { waitFor } from '../helpers/waitFor';

const TTL = 300;
const DOCS = 600;
let env: TestWorkflowEnvironment;
let s: LazyServers;
let worker: WorkerProcess;


beforeAll(async () => {
  s = await startLazyServers('rollback');
  env = await startTemporal();
  const dir = mkdtempSync(join(tmpdir(), 'tmig-lazy-rollback-'));
  const configPath = writeTestConfig({
    servers: { mongo: { kind: 'mongodb', url: s.mongoServer.url, maxConcurrency: 2 }, mysql: { kind: 'mysql', url: MYSQL_URL, maxConcurrency: 2 } },
    workDir: join(dir, 'work'),
  });
  worker = await startWorker(env.address, configPath);
}, 300_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await env?.teardown();
  await s?.stop();
});

/** A document as a comparable text: canonical Extended JSON with sorted keys (field order aside, every value and type). */
const canonical = (d: Document) => canonicalJson(BSON.deserialize(BSON.serialize(d)));

describe('lazy rollback', () => {
  it('4 -> 3 -> 2 -> 1 after read-through, a partial backfill and MySQL-side writes: MongoDB holds every document as last written', async () => {
    const service = `rb-${Date.now()}`;
    const coll = s.mongo.collection('shipments');
    await coll.insertMany(Array.from({ length: DOCS }, (_, i) => shipmentDocument(i)));
    const { plan } = await inferPlan([{ collection: 'shipments', documents: await sampleDocuments(coll, 500) }], { nested: 'flatten', rareBelow: 0.05 });
    const input: LazyMigrationInput = {
      service, mongo: { server: 'mongo', database: s.mongoDatabase }, mysql: { server: 'mysql', database: s.mysqlDatabase }, plan,
      stageTtlMs: TTL, chunkSize: 50, chunkDelayMs: 400,
    };
    const handle = await env.client.workflow.start(LAZY_MIGRATION_WORKFLOW, { taskQueue: TASK_QUEUE, workflowId: lazyMigrationWorkflowId(service), args: [input] });
    const status = () => handle.query(lazyStatusQuery);
    await waitFor('stage 1', async () => (await status().catch(() => undefined))?.stage === 1);
    const store = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service, stageTtlMs: TTL });
    const expected = new Map<string, Document>(Array.from({ length: DOCS }, (_, i) => [shipmentId(i).toHexString(), shipmentDocument(i)]));
    const advance = (to: number) => waitFor(`advance to ${to}`, async () => handle.executeUpdate(advanceUpdate, { args: [{ to }] }).catch(() => undefined));
    const stageSeen = (stage: number) => waitFor(`the store in stage ${stage}`, async () => (await store.stage()) === stage);

    await advance(2);
    await stageSeen(2);
    await waitFor('dual write confirmed', async () => (await status()).dualConfirmed);
    await advance(3);
    await stageSeen(3);

    // Stage 3: reads copy documents to MySQL; writes go to MySQL only.
    for (let i = 0; i < 40; i++) expect((await store.get(shipmentId(i)))?.trackingNo).toBe(`TRK${String(i).padStart(10, '0')}`);
    for (const i of [5, 50, 123, 400]) {
      await store.update(shipmentId(i), { status: `mysql-side-${i}`, 'recipient.city': 'Oslo' });
      const e = expected.get(shipmentId(i).toHexString())!;
      e.status = `mysql-side-${i}`;
      (e.recipient as Document).city = 'Oslo';
    }
    for (const n of [900_001, 900_002]) {
      const doc = { ...shipmentDocument(n), _id: shipmentId(n) };
      await store.insert(doc);
      expected.set(shipmentId(n).toHexString(), doc);
    }
    await store.delete(shipmentId(77));
    expected.delete(shipmentId(77).toHexString());
    // MongoDB still has the old copies: these writes exist only in MySQL now.
    expect((await coll.findOne({ _id: shipmentId(5) }))?.status).not.toBe('mysql-side-5');
    expect(await coll.findOne({ _id: shipmentId(900_001) })).toBeNull();
    expect(await coll.findOne({ _id: shipmentId(77) })).not.toBeNull();

    await new Promise((r) => setTimeout(r, TTL + 200)); // the stage-3 age the backfill precondition asks for
    await advance(4);
    await waitFor('backfill mid-collection', async () => { const cp = await readCheckpoint(s.mysql, 'shipments'); return cp.docsRead >= 100 && !cp.done; });
    const [[moved]] = await s.mysql.query('SELECT COUNT(*) AS n FROM shipments') as unknown as [[{ n: string }]];
    expect(Number(moved.n)).toBeGreaterThan(100);

    // Roll back, one stage at a time.
    expect((await handle.executeUpdate(rollbackUpdate)).stage).toBe(3);
    expect((await handle.executeUpdate(rollbackUpdate)).stage).toBe(2); // writes MySQL-only writes back to MongoDB
    await stageSeen(2);
    expect((await handle.executeUpdate(rollbackUpdate)).stage).toBe(1);
    await stageSeen(1);
    expect((await status()).lastError).toBeNull();

    // Back on MongoDB alone: every document as the application last wrote it, and nothing else.
    const inMongo = await coll.find({}).toArray();
    expect(inMongo.length).toBe(expected.size);
    const differ = inMongo.filter((d) => {
      const e = expected.get(String(d._id));
      return !e || canonical(d) !== canonical(e);
    }).map((d) => String(d._id));
    expect(differ).toEqual([]);
    // And the application reads them so, through the library.
    for (const [id, e] of expected) {
      const got = await store.get(e._id);
      if (!got || canonical(got) !== canonical(e)) throw new Error(`store.get(${id}) after rollback differs from what was written`);
    }
    expect(await store.get(shipmentId(77))).toBeNull();
    await store.close();
  }, 300_000);

  it('the worker that ran lazy activities (cached MongoDB client, MySQL pool) exits on SIGTERM', async () => {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      worker.stop('SIGTERM').then((code) => ({ code })),
      new Promise<'still running'>((r) => { timer = setTimeout(() => r('still running'), 90_000); }),
    ]);
    clearTimeout(timer);
    expect(exited).toEqual({ code: 0 });
    expect(worker.output()).toContain('tmig worker stopped');
  }, 120_000);
});
