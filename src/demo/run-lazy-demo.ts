/**
 * `npm run demo:lazy`: the lazy MongoDB -> MySQL migration end to end on this machine. Starts a
 * Temporal dev server, FerretDB (or uses MONGO_URL) and a worker, uses MariaDB/MySQL (MYSQL_URL),
 * seeds shipments, runs a small shipments application through `tmig/lazy` while the lazyMigration
 * workflow moves through its five stages, and prints a report: documents moved by the application
 * vs by the backfill, validation, time per stage. Exit 0 only if the application saw no error and no
 * missing shipment and MySQL ends up holding exactly what the application wrote.
 *   tsx src/demo/run-lazy-demo.ts [--docs 2000] [--ttl 1000] [--mysql-database tmig_lazy_demo] [--state-dir .tmig/lazy-demo] [--drop]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { MongoClient, ObjectId } from 'mongodb';
import { stringify as toYaml } from 'yaml';
import { TASK_QUEUE } from '../contract/names';
import { ALL_SEARCH_ATTRIBUTES } from '../contract/searchAttributes';
import {
  advanceUpdate, LAZY_MIGRATION_WORKFLOW, lazyMigrationWorkflowId, lazyStatusQuery, STAGE_NAMES, type LazyMigrationInput, type LazyStatus,
} from '../contract/lazyMigration';
import { startMongoServer } from '../engines/mongodb/ferretServer';
import { documentChecksum } from '../engines/mongodb/documentChecksum';
import { mapDocument } from '../engines/mongodb/documentMapping';
import { createMysqlPool } from '../engines/mysql/connection';
import { countDocStates, type OriginCounts } from '../engines/mysql/docState';
import { proposePlan } from '../lazy/proposePlan';
import { shipmentDocument } from './shipmentDocuments';
import { startShipmentsApp } from './lazyShipmentsApp';
import { freePort } from '../engines/freePort';

const root = resolve(__dirname, '..', '..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const DOCS = Number(arg('docs', '2000'));
const TTL = Number(arg('ttl', '1000'));
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const MYSQL_DB = arg('mysql-database', 'tmig_lazy_demo');
const MONGO_DB = 'shipments_demo';
const SERVICE = 'shipments';
/** How long the application runs in each stage before the operator moves on (a few stage TTLs). */
const DWELL_MS = Math.max(3000, 3 * TTL);

const log = (m: string) => console.log(m);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  if (!/^[A-Za-z0-9_]+$/.test(MYSQL_DB)) throw new Error(`--mysql-database ${MYSQL_DB}: letters, digits and _ only`);
  const stateDir = resolve(arg('state-dir', join(root, '.tmig', 'lazy-demo')));
  // Only what this demo wrote there last time (the directory may be one the user named).
  for (const sub of ['archives', 'work', 'reports']) rmSync(join(stateDir, sub), { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    log(process.env.MONGO_URL ? `MongoDB: ${new URL(process.env.MONGO_URL).host} (MONGO_URL)` : 'Starting FerretDB (MongoDB wire protocol, SQLite under .tmig/) ...');
    const mongoServer = await startMongoServer('ferretdb-lazy-demo');
    cleanups.push(() => mongoServer.stop());
    const mongoClient = await MongoClient.connect(mongoServer.url);
    cleanups.push(() => mongoClient.close());
    const mongo = mongoClient.db(MONGO_DB);
    await mongo.dropDatabase();

    log(`MySQL: ${new URL(MYSQL_URL).host}, database ${MYSQL_DB} (recreated)`);
    const admin = createMysqlPool({ url: MYSQL_URL, connectionLimit: 1 });
    await admin.query(`DROP DATABASE IF EXISTS \`${MYSQL_DB}\``);
    await admin.query(`CREATE DATABASE \`${MYSQL_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.end();
    const mysql = createMysqlPool({ url: MYSQL_URL, database: MYSQL_DB, connectionLimit: 8 });
    cleanups.push(() => mysql.end());

    log(`Seeding ${DOCS} shipments (nested, ~1 KB each) into MongoDB ...`);
    for (let at = 0; at < DOCS; at += 1000) {
      await mongo.collection('shipments').insertMany(Array.from({ length: Math.min(1000, DOCS - at) }, (_, i) => shipmentDocument(at + i)));
    }
    const { plan, findings } = await proposePlan({ source: `${mongoServer.url.replace(/\/$/, '')}/${MONGO_DB}`, sampleSize: 500, nested: 'flatten', rareBelow: 0.05 });
    const planFile = join(stateDir, 'plan.yaml');
    writeFileSync(planFile, toYaml(plan));
    const c = plan.collections[0]!;
    log(`Plan (tmig lazy plan): table ${c.table} with ${c.columns.length} columns, child tables ${c.children.map((ch) => ch.table).join(', ') || 'none'}; ${findings.length} findings; written to ${planFile}`);

    const cli = join(process.env.TMIG_TOOL_CACHE ?? join(homedir(), '.cache', 'tmig', 'bin'), 'temporal');
    if (!existsSync(cli)) throw new Error(`Temporal CLI not found at ${cli}: run \`node scripts/setup.mjs\` first`);
    const uiPort = await freePort();
    log('Starting the Temporal dev server ...');
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', ui: true, uiPort, searchAttributes: ALL_SEARCH_ATTRIBUTES },
    });
    cleanups.push(() => env.teardown());

    const configPath = join(stateDir, 'config.json');
    writeFileSync(configPath, JSON.stringify({
      servers: { 'mongo-demo': { kind: 'mongodb', url: mongoServer.url, maxConcurrency: 2 }, 'mysql-demo': { kind: 'mysql', url: MYSQL_URL, maxConcurrency: 2 } },
      workDir: join(stateDir, 'work'), reports: { dir: join(stateDir, 'reports') },
    }, null, 2));
    log('Starting a tmig worker ...');
    const worker = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/workers/main.ts')], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MIGRATOR_CONFIG: configPath, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', LOG_LEVEL: 'ERROR' },
    });
    let workerOut = '';
    worker.stderr!.on('data', (d: Buffer) => { workerOut = (workerOut + d.toString()).slice(-4000); });
    const workerExited = new Promise((res) => worker.once('exit', res));
    cleanups.push(async () => {
      if (worker.exitCode !== null) return;
      worker.kill('SIGTERM');
      // The worker keeps its MongoDB/MySQL connections open after a graceful stop: do not wait forever.
      const stopped = await Promise.race([workerExited.then(() => true), sleep(15_000).then(() => false)]);
      if (!stopped) { worker.kill('SIGKILL'); await workerExited; }
    });
    await new Promise<void>((res, rej) => {
      worker.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('tmig worker ready')) res(); });
      worker.once('exit', (code) => rej(new Error(`worker exited with code ${code}: ${workerOut}`)));
    });

    const input: LazyMigrationInput = {
      service: SERVICE, mongo: { server: 'mongo-demo', database: MONGO_DB }, mysql: { server: 'mysql-demo', database: MYSQL_DB }, plan,
      stageTtlMs: TTL, chunkSize: 100, chunkDelayMs: 100, archiveDir: join(stateDir, 'archives'),
    };
    const handle = await env.client.workflow.start(LAZY_MIGRATION_WORKFLOW, { taskQueue: TASK_QUEUE, workflowId: lazyMigrationWorkflowId(SERVICE), args: [input] });
    log(`Started workflow ${handle.workflowId} (Temporal UI http://127.0.0.1:${uiPort}/namespaces/default/workflows/${handle.workflowId})`);
    const status = () => handle.query(lazyStatusQuery);
    const waitFor = async <T>(what: string, fn: (s: LazyStatus) => T | undefined | false, ms = 600_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = fn(await status().catch(() => undefined as unknown as LazyStatus) ?? ({} as LazyStatus));
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(250);
      }
    };
    await waitFor('stage 1', (s) => s.stage === 1);

    const app = startShipmentsApp({ mongo, mysql, plan, service: SERVICE, stageTtlMs: TTL, seeded: DOCS });
    cleanups.push(() => app.stop());
    const entered: { stage: number; at: number }[] = [{ stage: 1, at: Date.now() }];
    const progress = (s?: LazyStatus) => {
      const k = app.counts;
      log(`  stage ${s ? `${s.stage} ${s.stageName}` : ''}: app ${k.inserts} inserts, ${k.updates} updates, ${k.cancels} cancels, ${k.gets + k.finds} reads, ${k.errors.length} errors, ${k.missing.length} missing`);
    };
    /** The operator's `tmig lazy advance`: retried while a precondition is not met yet (the reason is shown once). */
    const advance = async (to: number) => {
      let shown = '';
      for (const end = Date.now() + 600_000; ;) {
        try {
          const s = await handle.executeUpdate(advanceUpdate, { args: [{ to, confirm: to === 5 }] });
          entered.push({ stage: to, at: Date.now() });
          log(`advanced to stage ${to} (${STAGE_NAMES[to]})`);
          return s;
        } catch (err) {
          const why = err instanceof WorkflowUpdateFailedError ? String((err.cause as Error | undefined)?.message ?? err.message) : (err as Error).message;
          if (Date.now() > end) throw new Error(`advance to ${to} refused: ${why}`);
          if (why !== shown) log(`  advance to ${to} refused for now: ${why}`);
          shown = why;
          await sleep(500);
        }
      }
    };

    log(`Stage 1 (legacy): the application reads and writes MongoDB; ${DWELL_MS} ms per stage`);
    await sleep(DWELL_MS);
    progress(await status());
    await advance(2);
    await waitFor('every writer in dual write', (s) => s.dualConfirmed);
    await sleep(DWELL_MS);
    progress(await status());
    await advance(3);
    await sleep(DWELL_MS);
    progress(await status());
    await advance(4);
    const afterBackfill = await waitFor('backfill and validation', (s) => (s.validation || s.lastError ? s : undefined));
    if (afterBackfill.lastError) throw new Error(`backfill: ${afterBackfill.lastError}`);
    const backfillEnd = Date.now();
    progress(afterBackfill);
    await sleep(DWELL_MS);
    await advance(5);
    const done = await handle.result() as LazyStatus;
    const finished = Date.now();
    await sleep(2 * TTL); // the application runs on, from MySQL alone
    await app.stop();

    // MySQL alone now: every shipment the application believes exists reads back exactly as it last wrote it.
    let differ = 0;
    for (const [id, doc] of app.expected) {
      const got = await app.store.get(doc._id);
      if (!got || documentChecksum(mapDocument(c, got)) !== documentChecksum(mapDocument(c, doc))) {
        differ++;
        if (differ <= 5) log(`  differs: ${id}`);
      }
    }
    let cancelledFound = 0;
    for (const id of app.cancelled) if (await app.store.get(new ObjectId(id))) cancelledFound++;
    const [[countRow]] = await mysql.query(`SELECT COUNT(*) AS n FROM \`${c.table}\``) as unknown as [[{ n: string }]];
    await app.store.close();

    // Counted now, after the application stopped (the workflow's last counts predate its stage-5 writes).
    const counts = migratedCounts(await countDocStates(mysql), c.collection);
    const v = done.validation!.collections[0]!;
    const stageTimes = entered.map((e, i) => {
      const end = i + 1 < entered.length ? entered[i + 1]!.at : finished;
      return { stage: e.stage, name: STAGE_NAMES[e.stage], seconds: Math.round((end - e.at) / 100) / 10 };
    });
    const report = {
      service: SERVICE, seeded: DOCS,
      app: { inserts: app.counts.inserts, updates: app.counts.updates, cancels: app.counts.cancels, reads: app.counts.gets + app.counts.finds, errors: app.counts.errors.length, missing: app.counts.missing.length },
      movedByApplication: counts.lazily + counts.dualWritten + counts.byApplication,
      readThrough: counts.lazily, dualWritten: counts.dualWritten, writtenInMysql: counts.byApplication,
      movedByBackfill: counts.byBackfill, rejected: counts.rejected,
      validation: { passed: done.validation!.passed, matched: v.matched, appOwned: v.appOwned, mismatches: v.mismatchCount },
      backfillSeconds: Math.round((backfillEnd - entered.find((e) => e.stage === 4)!.at) / 100) / 10,
      stageTimes, archived: done.cleanup?.[0]?.documents ?? 0,
      final: { expected: app.expected.size, mysqlRows: Number(countRow.n), differ, cancelledFound },
    };
    const ok = report.app.errors === 0 && report.app.missing === 0 && report.validation.passed && differ === 0 && cancelledFound === 0
      && report.final.mysqlRows === app.expected.size;
    log('');
    log('Lazy migration demo: report');
    log(`  application: ${report.app.inserts} inserts, ${report.app.updates} updates, ${report.app.cancels} cancels, ${report.app.reads} reads; ${report.app.errors} errors, ${report.app.missing} missing reads`);
    log(`  documents in MySQL by how they got there (${report.final.mysqlRows} rows):`);
    log(`    moved lazily by the application: ${report.movedByApplication} (read-through ${report.readThrough}, dual write ${report.dualWritten}, written in MySQL by the app ${report.writtenInMysql})`);
    log(`    moved by the backfill:           ${report.movedByBackfill} (in ${report.backfillSeconds} s)`);
    log(`    rejected (kept in ${c.table}__rejects): ${report.rejected}`);
    log(`  validation: ${report.validation.passed ? 'passed' : 'FAILED'} (${report.validation.matched} documents checksum-equal, ${report.validation.appOwned} owned by MySQL, ${report.validation.mismatches} mismatches)`);
    log('  time per stage:');
    for (const t of stageTimes) log(`    ${t.stage} ${String(t.name).padEnd(13)} ${t.seconds.toFixed(1).padStart(6)} s`);
    log(`  cleanup: MongoDB collection archived (${report.archived} documents, ${join(stateDir, 'archives')}) and dropped`);
    log(`  final check from MySQL alone: ${app.expected.size - differ} of ${app.expected.size} shipments as the application last wrote them; ${cancelledFound} cancelled ones found`);
    for (const e of app.counts.errors.slice(0, 5)) log(`  error: ${e}`);
    for (const m of app.counts.missing.slice(0, 5)) log(`  missing: ${m}`);
    log(`LAZY_DEMO_REPORT ${JSON.stringify(report)}`);
    log(ok ? 'RESULT: ok' : 'RESULT: FAILED');
    if (process.argv.includes('--drop')) {
      const a = createMysqlPool({ url: MYSQL_URL, connectionLimit: 1 });
      await a.query(`DROP DATABASE IF EXISTS \`${MYSQL_DB}\``);
      await a.end();
    } else {
      log(`MySQL database ${MYSQL_DB} is kept for a look (the next run recreates it).`);
    }
    return ok ? 0 : 1;
  } finally {
    for (const f of cleanups.reverse()) await f().catch(() => undefined);
  }
}

/** How the documents MySQL holds got there (the same split as `tmig lazy status`). */
function migratedCounts(rows: OriginCounts[], collection: string) {
  const mine = rows.filter((r) => r.coll === collection && !r.tombstone);
  const sum = (f: (r: OriginCounts) => boolean) => mine.filter(f).reduce((n, r) => n + r.docs, 0);
  return {
    lazily: sum((r) => r.origin === 'read' && !r.appOwned), dualWritten: sum((r) => r.origin === 'dual' && !r.appOwned),
    byBackfill: sum((r) => r.origin === 'backfill' && !r.appOwned), byApplication: sum((r) => r.appOwned), rejected: sum((r) => r.origin === 'rejected'),
  };
}

main().then((code) => process.exit(code), (err) => {
  console.error(`lazy demo failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
