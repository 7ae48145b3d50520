/**
 * Benchmark of the lazy migration's eager backfill (MongoDB -> MySQL): tmig's exactly-once backfill
 * (chunk + checkpoint + per-document state in one InnoDB transaction) against the plainest driver
 * loop (one sorted cursor, the same mapping, multi-row inserts, autocommit), on the same documents.
 *   tsx bench/lazyBackfill.ts [--docs 1000000] [--chunk 1000] [--json FILE] [--db-prefix tmig_lazy_bench]
 * Default --docs 20000 (FerretDB on SQLite is slow to load; use MONGO_URL for a real MongoDB).
 * Each runner is a child process, so its peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { shipmentDocument } from '../src/demo/shipmentDocuments';
import { startMongoServer } from '../src/engines/mongodb/ferretServer';
import { chunksAfter, sampleDocuments } from '../src/engines/mongodb/collectionReader';
import { mapDocument } from '../src/engines/mongodb/documentMapping';
import { createMysqlPool } from '../src/engines/mysql/connection';
import { insertDocumentRows } from '../src/engines/mysql/documentRows';
import { collectionDdl } from '../src/engines/mysql/lazyDdl';
import { readControl, setControlFlags, setStage } from '../src/engines/mysql/stageControl';
import { backfillCollection } from '../src/lazy/backfillCollection';
import { installLazy } from '../src/lazy/installLazy';
import { validateCollection } from '../src/lazy/validateCollection';
import { inferPlan } from '../src/lazy/plan/inferPlan';
import type { LazyPlan } from '../src/contract/lazyPlan';

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};

interface RunnerResult {
  runner: string; docs: number; seconds: number; docsPerSecond: number; peakRssMb: number; mysqlRows: number;
  /** tmig only: the bounded-memory validation of the copied collection, after the backfill (peak RSS covers both). */
  validateSeconds?: number; validatePassed?: boolean;
}

async function runner(kind: string, mongoUrl: string, mongoDb: string, mysqlDb: string, plan: LazyPlan, chunk: number): Promise<void> {
  const client = await MongoClient.connect(mongoUrl);
  const coll = client.db(mongoDb).collection('shipments');
  const pool = createMysqlPool({ url: MYSQL_URL, database: mysqlDb, connectionLimit: 2 });
  const c = plan.collections[0]!;
  const started = process.hrtime.bigint();
  let docs = 0;
  if (kind === 'tmig') {
    await installLazy(pool, plan, 'bench');
    await setStage(pool, 'bench', 1, 2);
    await setControlFlags(pool, 'bench', { dualConfirmedNow: true });
    await setStage(pool, 'bench', 2, 3);
    await setStage(pool, 'bench', 3, 4);
    const control = (await readControl(pool, 'bench'))!;
    const res = await backfillCollection(coll, pool, c, { chunkSize: chunk, chunkDelayMs: 0, dualConfirmedAt: control.dualConfirmedAt });
    docs = res.docsCopied;
  } else {
    for (const sql of collectionDdl(c)) await pool.query(sql);
    for await (const batch of chunksAfter(coll, c.idType, null, chunk)) {
      await insertDocumentRows(pool, c, batch.map((d) => mapDocument(c, d)));
      docs += batch.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let validation: Pick<RunnerResult, 'validateSeconds' | 'validatePassed'> = {};
  if (kind === 'tmig') {
    const v0 = process.hrtime.bigint();
    const v = await validateCollection(coll, pool, c, chunk);
    validation = { validateSeconds: Math.round(Number(process.hrtime.bigint() - v0) / 1e7) / 100, validatePassed: v.passed && v.matched === docs };
  }
  const [[row]] = await pool.query(`SELECT COUNT(*) AS n FROM \`${c.table}\``) as unknown as [[{ n: string }]];
  const result: RunnerResult = {
    runner: kind, docs, seconds: Math.round(seconds * 100) / 100, docsPerSecond: Math.round(docs / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), mysqlRows: Number(row.n), ...validation,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  await pool.end();
  await client.close();
}

async function main(): Promise<void> {
  if (process.argv.includes('--runner')) {
    const [kind, mongoUrl, mongoDb, mysqlDb, planJson, chunk] = process.argv.slice(process.argv.indexOf('--runner') + 1);
    return runner(kind!, mongoUrl!, mongoDb!, mysqlDb!, JSON.parse(planJson!), Number(chunk));
  }
  const docs = Number(arg('docs', '20000'));
  const chunk = Number(arg('chunk', '1000'));
  const server = await startMongoServer('ferretdb-bench');
  const client = await MongoClient.connect(server.url);
  const dbName = `${arg('db-prefix', 'tmig_lazy_bench')}_${process.pid}`;
  const coll = client.db(dbName).collection('shipments');
  const admin = createMysqlPool({ url: MYSQL_URL, connectionLimit: 1 });
  const dbs = { tmig: `${dbName}_tmig`, driver: `${dbName}_driver` };
  try {
    const t0 = Date.now();
    for (let at = 0; at < docs; at += 1000) {
      await coll.insertMany(Array.from({ length: Math.min(1000, docs - at) }, (_, i) => shipmentDocument(at + i)));
    }
    const avgBytes = Math.round(JSON.stringify(shipmentDocument(1)).length);
    console.log(`loaded ${docs} documents (~${avgBytes} B each as JSON) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const { plan } = await inferPlan([{ collection: 'shipments', documents: await sampleDocuments(coll, 1000) }], { nested: 'flatten', rareBelow: 0.05 });
    const results: RunnerResult[] = [];
    for (const kind of ['driver', 'tmig'] as const) {
      await admin.query(`CREATE DATABASE \`${dbs[kind]}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      const res = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--runner', kind, server.url, dbName, dbs[kind], JSON.stringify(plan), String(chunk)], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`${kind} runner failed: ${res.stderr}`);
      const r = JSON.parse(line.slice(7)) as RunnerResult;
      if (r.mysqlRows !== docs) throw new Error(`${kind}: ${r.mysqlRows} rows in MySQL, expected ${docs}`);
      results.push(r);
    }
    const driver = results.find((r) => r.runner === 'driver')!;
    const table = results.map((r) => ({ ...r, ratioVsDriverLoop: Math.round((r.docsPerSecond / driver.docsPerSecond) * 100) / 100 }));
    console.table(table);
    const out = { benchmark: 'lazy-backfill', date: new Date().toISOString(), docs, chunk, avgDocBytes: avgBytes, mongo: process.env.MONGO_URL ? 'MONGO_URL' : 'FerretDB v1.24.2 (SQLite)', mysql: MYSQL_URL.replace(/\/\/[^@]*@/, '//'), results: table };
    const file = arg('json', join(__dirname, 'results', `lazy-backfill-${out.date.slice(0, 10).replace(/-/g, '')}.json`));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written ${file}`);
  } finally {
    for (const d of Object.values(dbs)) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await admin.end();
    await client.db(dbName).dropDatabase().catch(() => undefined);
    await client.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
