/**
 * The lazyMigration workflow with real parts: Temporal dev server, worker processes, FerretDB, MariaDB.
 * Scenarios: an application writes and reads through every stage with no error and no missing record
 * while the operator advances (refused advances included); cleanup refused before validation passes;
 * the backfill survives a worker SIGKILL mid-collection with no duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ObjectId, type Document } from 'mongodb';
import { stringify as toYaml } from 'yaml';
import { lazyMigrationWorkflowId, lazyStatusQuery, type LazyStatus } from '../../src/contract/lazyMigration';
import { sampleDocuments } from '../../src/engines/mongodb/collectionReader';
import { readCheckpoint } from '../../src/engines/mysql/backfillChunk';
import { readDocumentRows } from '../../src/engines/mysql/documentRows';
import { shipmentDocument, shipmentId } from '../../src/demo/shipmentDocuments';
import { createLazyStore, type LazyStore } from '../../src/lazy/lazyStore';
import { inferPlan } from '../../src/lazy/plan/inferPlan';
import { documentChecksum } from '../../src/engines/mongodb/documentChecksum';
import { mapDocument } from '../../src/engines/mongodb/documentMapping';
import type { LazyPlan } from '../../src/contract/lazyPlan';
import { startTemporal } from '../helpers/temporal';
import { startWorker, writeTestConfig, type WorkerProcess } from '../helpers/worker';
import { MYSQL_URL, startLazyServers, type LazyServers } from './servers';
import { tmigInProcess } from '../helpers/tmigCli';
import { waitFor } from '../helpers/waitFor';

const TTL = 400;
let env: TestWorkflowEnvironment;
let s: LazyServers;
let dir: string;
const workers: WorkerProcess[] = [];
let configPath: string;

const tmig = (...args: string[]) => tmigInProcess(['--address', env.address, ...args]);

async function status(service: string): Promise<LazyStatus> {
  return env.client.workflow.getHandle(lazyMigrationWorkflowId(service)).query(lazyStatusQuery);
}


async function planFor(collection: string): Promise<LazyPlan> {
  const { plan } = await inferPlan([{ collection, documents: await sampleDocuments(s.mongo.collection(collection), 500) }], { nested: 'flatten', rareBelow: 0.05 });
  return plan;
}

beforeAll(async () => {
  s = await startLazyServers('wf');
  env = await startTemporal();
  dir = mkdtempSync(join(tmpdir(), 'tmig-lazy-'));
  configPath = writeTestConfig({
    servers: { mongo: { kind: 'mongodb', url: s.mongoServer.url, maxConcurrency: 2 }, mysql: { kind: 'mysql', url: MYSQL_URL, maxConcurrency: 2 } },
    workDir: join(dir, 'work'),
  });
  workers.push(await startWorker(env.address, configPath));
}, 300_000);

afterAll(async () => {
  for (const w of workers) await w.stop('SIGKILL');
  await env?.teardown();
  await s?.stop();
});

describe('lazyMigration workflow', () => {
  it('every stage with a concurrent writer and reader: no error, no missing record; refused advances; cleanup only after validation', async () => {
    const service = `svc-${Date.now()}`;
    await s.mongo.collection('shipments').insertMany(Array.from({ length: 300 }, (_, i) => shipmentDocument(i)));
    const plan = await planFor('shipments');
    const planFile = join(dir, 'plan.yaml');
    writeFileSync(planFile, toYaml(plan));
    const start = await tmig('lazy', 'start', '--service', service, '--mongo', `mongo/${s.mongoDatabase}`, '--mysql', `mysql/${s.mysqlDatabase}`,
      '--plan', planFile, '--stage-ttl', String(TTL), '--chunk-size', '50', '--chunk-delay', '300');
    expect(start.stderr).toBe('');
    await waitFor('stage 1', async () => (await status(service).catch(() => undefined))?.stage === 1);

    // The application: a writer (inserts and updates) and a reader, both through the library, all along.
    const store: LazyStore = createLazyStore({ mongo: s.mongo, mysql: s.mysql, plan, collection: 'shipments', service, stageTtlMs: TTL });
    const expected = new Map<string, Document>(Array.from({ length: 300 }, (_, i) => [shipmentId(i).toHexString(), shipmentDocument(i)]));
    const errors: string[] = [];
    const missing: string[] = [];
    let stop = false;
    let written = 0;
    let reads = 0;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        try {
          if (n % 3 === 0) {
            const doc = shipmentDocument(10_000 + n);
            await store.insert(doc);
            expected.set(doc._id!.toString(), doc);
          } else {
            const id = shipmentId((n * 37) % 300);
            const status = `s${n}`;
            await store.update(id, { status });
            expected.get(id.toHexString())!.status = status;
          }
          written++;
        } catch (err) {
          errors.push(`write ${n}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const reader = (async () => {
      for (let n = 0; !stop; n++) {
        const ids = [...expected.keys()];
        const id = ids[(n * 7919) % ids.length]!;
        try {
          const doc = await store.get(new ObjectId(id));
          if (!doc) missing.push(id);
          reads++;
        } catch (err) {
          errors.push(`read ${id}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    const pause = () => new Promise((r) => setTimeout(r, 3 * TTL));
    try {

    await pause();
    const skip = await tmig('lazy', 'advance', '--service', service, '--to', '3');
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain('can only advance to 2');
    // An instance that still runs stage 1 (it keeps reporting: last_seen ahead of the clock, so a
    // slow machine cannot age it out) holds the confirmation of dual write until it is gone.
    await s.mysql.query('INSERT INTO _tmig_lazy_writers (service, instance_id, stage_seen, last_seen) VALUES (?, ?, 1, NOW(6) + INTERVAL 1 HOUR)', [service, 'stage1-instance']);
    expect((await tmig('lazy', 'advance', '--service', service)).code).toBe(0);
    expect((await status(service)).stage).toBe(2);
    await pause();
    const early = await tmig('lazy', 'advance', '--service', service, '--to', '3');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('every writer in dual write');
    expect((await status(service)).dualConfirmed).toBe(false);
    await s.mysql.query('DELETE FROM _tmig_lazy_writers WHERE instance_id = ?', ['stage1-instance']);
    await waitFor('dual write confirmed', async () => (await status(service)).dualConfirmed);
    await pause();
    expect((await tmig('lazy', 'advance', '--service', service, '--to', 'read-through')).code).toBe(0);
    // Backfill only once every writer runs stage 3: a live instance still reporting stage 2 blocks it.
    await s.mysql.query('INSERT INTO _tmig_lazy_writers (service, instance_id, stage_seen, last_seen) VALUES (?, ?, 2, NOW(6))', [service, 'old-instance']);
    await pause();
    const blocked = await tmig('lazy', 'advance', '--service', service, '--to', '4');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('still report an older stage');
    await s.mysql.query('DELETE FROM _tmig_lazy_writers WHERE instance_id = ?', ['old-instance']);
    const noConfirm = await tmig('lazy', 'advance', '--service', service, '--to', '5', '--confirm');
    expect(noConfirm.code).toBe(1);
    expect((await tmig('lazy', 'advance', '--service', service, '--to', '4')).code).toBe(0);
    // Cleanup is refused while backfill and validation have not passed.
    const tooEarly = await tmig('lazy', 'advance', '--service', service, '--to', '5', '--confirm');
    expect(tooEarly.code).toBe(1);
    expect(tooEarly.stderr).toMatch(/cleanup needs a finished backfill|validation/);
    const afterBackfill = await waitFor('backfill and validation', async () => { const st = await status(service); return st.validation ? st : undefined; });
    expect(afterBackfill.lastError).toBeNull();
    expect(afterBackfill.validation!.passed).toBe(true);
    await pause();
    } finally {
      stop = true;
      await Promise.all([writer, reader]);
    }
    expect(errors).toEqual([]);
    expect(missing).toEqual([]);
    expect(written).toBeGreaterThan(20);
    expect(reads).toBeGreaterThan(50);

    // Final MySQL state equals every document (as the application last wrote it) mapped by the plan.
    const c = plan.collections[0]!;
    const ids = [...expected.keys()];
    const rows = await readDocumentRows(s.mysql, c, ids);
    const wrong = ids.filter((id) => documentChecksum(rows.get(id) ?? { id, row: [], children: [] }) !== documentChecksum(mapDocument(c, expected.get(id)!)));
    expect(wrong).toEqual([]);
    const [[count]] = await s.mysql.query('SELECT COUNT(*) AS n FROM shipments') as unknown as [[{ n: string }]];
    expect(Number(count.n)).toBe(expected.size);

    // A MySQL row changed behind the library's back: validation fails, cleanup is refused, nothing dropped.
    // The victim is a document the application never wrote in MySQL (MongoDB is its truth); which
    // ones those are depends on the concurrent writer's timing, so it is picked, not assumed.
    const [picked] = await s.mysql.query(`SELECT s._id AS id, s.notes AS notes FROM shipments s
      LEFT JOIN _tmig_lazy_docs d ON d.doc_id = s._id AND d.app_owned = 1 WHERE d.doc_id IS NULL ORDER BY s._id LIMIT 1`) as unknown as [{ id: string; notes: string | null }[]];
    const victim = picked[0];
    expect(victim).toBeDefined();
    await s.mysql.query('UPDATE shipments SET notes = ? WHERE _id = ?', ['tampered', victim.id]);
    const refused = await tmig('lazy', 'advance', '--service', service, '--to', '5', '--confirm');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('validation failed');
    expect(await s.mongo.collection('shipments').countDocuments()).toBeGreaterThan(0);
    await s.mysql.query('UPDATE shipments SET notes = ? WHERE _id = ?', [victim.notes, victim.id]);
    const withoutConfirm = await tmig('lazy', 'advance', '--service', service, '--to', '5');
    expect(withoutConfirm.code).toBe(1);
    expect(withoutConfirm.stderr).toContain('confirm');
    const inMongo = await s.mongo.collection('shipments').countDocuments();
    expect((await tmig('lazy', 'advance', '--service', service, '--to', '5', '--confirm')).code).toBe(0);
    const done = await env.client.workflow.getHandle(lazyMigrationWorkflowId(service)).result() as LazyStatus;
    expect(done.done).toBe(true);
    // The report: how each document reached MySQL (lazily, by backfill, by the application), adding up.
    const counts = done.counts[0]!;
    expect(counts.byBackfill).toBeGreaterThan(0);
    expect(counts.byApplication).toBeGreaterThan(0);
    expect(counts.lazily + counts.byBackfill + counts.byApplication + counts.dualWritten).toBe(expected.size);
    expect(done.cleanup).toEqual([expect.objectContaining({ collection: 'shipments', documents: inMongo })]);
    expect(existsSync(done.cleanup![0]!.file)).toBe(true);
    expect((await s.mongo.listCollections({ name: 'shipments' }).toArray()).length).toBe(0);
    // Stage 5: the application still reads everything, from MySQL alone.
    expect((await store.get(shipmentId(5)))?.trackingNo).toBe('TRK0000000005');
    await store.close();
  });

  it('backfill resumes after a worker SIGKILL mid-collection: exact, no duplicates', async () => {
    const service = `crash-${Date.now()}`;
    const coll = s.mongo.collection('parcels');
    const total = 3000;
    for (let at = 0; at < total; at += 500) {
      await coll.insertMany(Array.from({ length: 500 }, (_, i) => ({ ...shipmentDocument(at + i), _id: shipmentId(50_000 + at + i) })));
    }
    const plan = await planFor('parcels');
    const planFile = join(dir, 'parcels.yaml');
    writeFileSync(planFile, toYaml(plan));
    expect((await tmig('lazy', 'start', '--service', service, '--mongo', `mongo/${s.mongoDatabase}`, '--mysql', `mysql/${s.mysqlDatabase}`,
      '--plan', planFile, '--stage-ttl', '200', '--chunk-size', '100', '--chunk-delay', '150')).code).toBe(0);
    await waitFor('stage 1', async () => (await status(service).catch(() => undefined))?.stage === 1);
    expect((await tmig('lazy', 'advance', '--service', service)).code).toBe(0);
    await waitFor('dual write confirmed', async () => (await status(service)).dualConfirmed);
    expect((await tmig('lazy', 'advance', '--service', service)).code).toBe(0);
    await new Promise((r) => setTimeout(r, 600));
    expect((await tmig('lazy', 'advance', '--service', service)).code).toBe(0);
    await waitFor('backfill mid-collection', async () => { const cp = await readCheckpoint(s.mysql, 'parcels'); return cp.docsRead >= 600 && cp.docsRead < total; });
    await workers[0]!.stop('SIGKILL');
    const atKill = await readCheckpoint(s.mysql, 'parcels');
    expect(atKill.done).toBe(false);
    workers.push(await startWorker(env.address, configPath));
    const st = await waitFor('backfill done', async () => { const x = await status(service); return x.validation ? x : undefined; }, 240_000);
    expect(st.validation!.passed).toBe(true);
    const cp = await readCheckpoint(s.mysql, 'parcels');
    expect(cp).toMatchObject({ done: true, docsRead: total, docsCopied: total, docsSkipped: 0, docsRejected: 0 });
    expect(st.backfill[0]!.resumedFrom).not.toBeNull();
    const [[n]] = await s.mysql.query('SELECT COUNT(*) AS n, COUNT(DISTINCT _id) AS d FROM parcels') as unknown as [[{ n: string; d: string }]];
    expect(n).toEqual({ n: String(total), d: String(total) });
    const [[states]] = await s.mysql.query("SELECT COUNT(*) AS n FROM _tmig_lazy_docs WHERE coll = 'parcels' AND origin = 'backfill'") as unknown as [[{ n: string }]];
    expect(Number(states.n)).toBe(total);
    expect(st.counts[0]).toMatchObject({ collection: 'parcels', byBackfill: total, lazily: 0 });
    // The checkpoint moved past the kill point without re-reading: chunks counted once each.
    expect(cp.chunks).toBe(Math.floor(total / 100) + 1);
  });
});
