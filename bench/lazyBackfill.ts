/**
 * Benchmark of the lazy migration's eager backfill (MongoDB -> MySQL): tmig's exactly-once backfill
 * (chunk + checkpoint + per-document state in one InnoDB transaction) against the fastest plain
 * driver loop written here (see `driverLoop`), on the same documents.
 *   tsx bench/lazyBackfill.ts [--docs 1000000] [--chunk 1000] [--json FILE] [--db-prefix tmig_lazy_bench] [--reseed]
 *     [--runners tmig,driver,validate] [--data-dir DIR] [--max-seconds driver=1200,...]
 * Default --docs 20000. The loaded documents are kept (FerretDB's SQLite files under
 * `.tmig/bench-lazy-ferretdb/`, or the MONGO_URL server) with a marker, and reused by the next run
 * of the same size; --reseed loads them again, --seed-only only loads them.
 * Each runner is a child process, so its peak RSS is its own; FerretDB is started afresh for each
 * runner, so its peak RSS is per runner too.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { shipmentDocument } from '../src/demo/shipmentDocuments';
import { startMongoServer, type MongoServer } from '../src/engines/mongodb/ferretServer';
import { readAhead } from '../src/engines/mongodb/collectionReader';
import { mapDocument } from '../src/engines/mongodb/documentMapping';
import { createMysqlPool, inTransaction } from '../src/engines/mysql/connection';
import { insertDocumentRows } from '../src/engines/mysql/documentRows';
import { collectionDdl } from '../src/engines/mysql/lazyDdl';
import { readControl, setControlFlags, setStage } from '../src/engines/mysql/stageControl';
import { backfillCollection } from '../src/lazy/backfillCollection';
import { installLazy } from '../src/lazy/installLazy';
import { validateCollection } from '../src/lazy/validateCollection';
import { inferPlan } from '../src/lazy/plan/inferPlan';
import type { LazyPlan } from '../src/contract/lazyPlan';
import { parseStatusKb } from './rss';

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const log = (m: string) => console.log(`[lazy-bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

/** Bumped when `shipmentDocument` changes: a kept data set of another generator is loaded again. */
const GENERATOR = 'shipments-v1';
const SEED_BATCH = 5000;

interface RunnerResult {
  runner: string; docs: number; seconds: number; docsPerSecond: number; peakRssMb: number; mysqlRows: number;
  /** FerretDB's peak RSS while this runner read (it was started afresh for the runner). */
  mongoPeakRssMb?: number;
  /** `validate` only: did validation pass with every document matched. */
  validatePassed?: boolean;
  /** Set when the runner was stopped before the end (its rate is the rate so far). */
  partial?: string;
  /** Seconds until the first progress line that had documents done (progress comes every 30 s). */
  firstProgressAfterSeconds?: number;
  /** Documents per second from that progress line to the end. */
  docsPerSecondAfterFirstProgress?: number;
}

/**
 * The fastest plain loop written here: one cursor in natural order (no sort: on FerretDB's SQLite a
 * sorted find loads the whole collection first; `mongoexport` does not sort either), the next batch
 * read while this one is written, the same mapping as tmig, multi-row INSERTs, one transaction per
 * batch (one log flush per batch, as tmig's chunks have; autocommit would flush per statement).
 * It is neither resumable nor safe next to live writes: that is what tmig's backfill adds.
 */
async function driverLoop(coll: Collection, pool: ReturnType<typeof createMysqlPool>, plan: LazyPlan['collections'][number], batchSize: number, onBatch: (docs: number) => void): Promise<number> {
  async function* batches(): AsyncGenerator<Document[]> {
    let buf: Document[] = [];
    for await (const doc of coll.find({}, { batchSize })) {
      buf.push(doc);
      if (buf.length === batchSize) {
        yield buf;
        buf = [];
      }
    }
    if (buf.length > 0) yield buf;
  }
  let docs = 0;
  for await (const batch of readAhead(batches())) {
    const rows = batch.map((d) => mapDocument(plan, d));
    await inTransaction(pool, (conn) => insertDocumentRows(conn, plan, rows));
    docs += batch.length;
    onBatch(docs);
  }
  return docs;
}

async function runner(kind: string, mongoUrl: string, mongoDb: string, mysqlDb: string, plan: LazyPlan, chunk: number): Promise<void> {
  const client = await MongoClient.connect(mongoUrl);
  const coll = client.db(mongoDb).collection('shipments');
  const pool = createMysqlPool({ url: MYSQL_URL, database: mysqlDb, connectionLimit: 2 });
  const c = plan.collections[0]!;
  const started = process.hrtime.bigint();
  let docs = 0;
  let validatePassed: boolean | undefined;
  // Progress every 30 s (a run cut short by a deadline still has a rate to report).
  const progress = (n: number) => process.stdout.write(`PROGRESS ${JSON.stringify({ runner: kind, docs: n, seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e7) / 100 })}\n`);
  let lastProgress = Date.now();
  const tick = (n: number) => {
    if (Date.now() - lastProgress >= 30_000) {
      lastProgress = Date.now();
      progress(n);
    }
  };
  if (kind === 'validate') {
    // tmig's bounded-memory validation of the collection the tmig runner copied (its own process: its own peak RSS).
    let seen = 0;
    const v = await validateCollection(coll, pool, c, chunk, () => tick((seen += chunk)));
    docs = v.mongoDocuments;
    validatePassed = v.passed && v.matched === docs;
  } else if (kind === 'tmig') {
    await installLazy(pool, plan, 'bench');
    await setStage(pool, 'bench', 1, 2);
    await setControlFlags(pool, 'bench', { dualConfirmedNow: true });
    await setStage(pool, 'bench', 2, 3);
    await setStage(pool, 'bench', 3, 4);
    const control = (await readControl(pool, 'bench'))!;
    const res = await backfillCollection(coll, pool, c, { chunkSize: chunk, chunkDelayMs: 0, dualConfirmedAt: control.dualConfirmedAt, onChunk: (cp) => tick(cp.docsCopied) });
    docs = res.docsCopied;
  } else {
    for (const sql of collectionDdl(c)) await pool.query(sql);
    docs = await driverLoop(coll, pool, c, chunk, tick);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [[row]] = await pool.query(`SELECT COUNT(*) AS n FROM \`${c.table}\``) as unknown as [[{ n: string }]];
  const result: RunnerResult = {
    runner: kind, docs, seconds: Math.round(seconds * 100) / 100, docsPerSecond: Math.round(docs / seconds),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), mysqlRows: Number(row.n), ...(validatePassed === undefined ? {} : { validatePassed }),
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  await pool.end();
  await client.close();
}

/**
 * Loads `docs` shipment documents into `dbName.shipments` unless its marker says they are there.
 * Batches of SEED_BATCH, the next batch generated while the last one is inserted; the marker last.
 */
async function ensureSeeded(client: MongoClient, dbName: string, docs: number, reseed: boolean): Promise<string> {
  const db = client.db(dbName);
  const coll = db.collection('shipments');
  const marker = await db.collection<{ _id: string; generator: string; docs: number }>('bench_meta').findOne({ _id: 'dataset' });
  // The marker is written after the last batch, so it alone says the load finished (counting would
  // read every document: FerretDB's count is a scan).
  if (!reseed && marker?.generator === GENERATOR && marker.docs === docs) return 'reused';
  await db.dropDatabase();
  const t0 = Date.now();
  let inFlight: Promise<unknown> = Promise.resolve();
  for (let at = 0; at < docs; at += SEED_BATCH) {
    const batch = Array.from({ length: Math.min(SEED_BATCH, docs - at) }, (_, i) => shipmentDocument(at + i));
    await inFlight;
    inFlight = coll.insertMany(batch, { ordered: true });
    if ((at / SEED_BATCH) % 40 === 0 && at > 0) log(`seeded ${at.toLocaleString('en-US')} documents`);
  }
  await inFlight;
  await db.collection('bench_meta').insertOne({ _id: 'dataset' as unknown as Document['_id'], generator: GENERATOR, docs });
  return `loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s (${Math.round(docs / ((Date.now() - t0) / 1000))} docs/s)`;
}

/**
 * Runs a runner process; PROGRESS lines are handed on as they come, the rest is collected. With
 * `maxSeconds`, the runner is stopped then (its peak RSS read first) and `stopped` says so.
 */
function runChild(args: string[], onProgress: (p: unknown) => void, maxSeconds?: number): Promise<{ stdout: string; stderr: string; stopped?: { peakRssMb?: number } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stopped: { peakRssMb?: number } | undefined;
    const cap = maxSeconds ? setTimeout(() => {
      stopped = { peakRssMb: peakRssMb(child.pid) };
      child.kill('SIGTERM');
    }, maxSeconds * 1000) : undefined;
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) if (l.startsWith('PROGRESS ')) onProgress(JSON.parse(l.slice(9)));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', reject);
    child.once('close', () => {
      if (cap) clearTimeout(cap);
      resolve({ stdout, stderr, stopped });
    });
  });
}

const dataDir = () => arg('data-dir', join(process.cwd(), '.tmig', 'bench-lazy-ferretdb'));

function peakRssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const kb = parseStatusKb(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM');
    return kb === undefined ? undefined : Math.round(kb / 1024);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--runner')) {
    const [kind, mongoUrl, mongoDb, mysqlDb, planJson, chunk] = process.argv.slice(process.argv.indexOf('--runner') + 1);
    return runner(kind!, mongoUrl!, mongoDb!, mysqlDb!, JSON.parse(planJson!), Number(chunk));
  }
  const docs = Number(arg('docs', '20000'));
  const chunk = Number(arg('chunk', '1000'));
  const mongoDb = `tmig_lazy_bench_${docs}`;
  const mysqlPrefix = `${arg('db-prefix', 'tmig_lazy_bench')}_${process.pid}`;
  const admin = createMysqlPool({ url: MYSQL_URL, connectionLimit: 1 });
  const dbs = { driver: `${mysqlPrefix}_driver`, tmig: `${mysqlPrefix}_tmig` };
  const date = new Date().toISOString();
  const file = arg('json', join(__dirname, 'results', `lazy-backfill-${date.slice(0, 10).replace(/-/g, '')}.json`));
  let server: MongoServer | undefined;
  const startServer = async () => (server = await startMongoServer('ferretdb-bench', { dataDir: dataDir() }));
  const stopServer = async () => {
    await server?.stop();
    server = undefined;
  };
  try {
    await startServer();
    const client = await MongoClient.connect(server!.url);
    const seed = await ensureSeeded(client, mongoDb, docs, process.argv.includes('--reseed'));
    const avgBytes = Math.round(JSON.stringify(shipmentDocument(1)).length);
    log(`${docs} documents (~${avgBytes} B each as JSON): ${seed}`);
    if (process.argv.includes('--seed-only')) {
      await client.close();
      return;
    }
    // The plan's sample: the first 1,000 in natural order, which here are the lowest _ids (loaded in _id order)
    // and so what sampleDocuments returns; but a sorted find makes FerretDB load the whole collection first.
    const sample = await client.db(mongoDb).collection('shipments').find({}, { promoteValues: false, limit: 1000 }).toArray();
    const { plan } = await inferPlan([{ collection: 'shipments', documents: sample }], { nested: 'flatten', rareBelow: 0.05 });
    await client.close();
    const results: RunnerResult[] = [];
    const out = {
      benchmark: 'lazy-backfill', date, docs, chunk, avgDocBytes: avgBytes, seed,
      mongo: process.env.MONGO_URL ? 'MONGO_URL' : 'FerretDB v1.24.2 (SQLite)', mysql: MYSQL_URL.replace(/\/\/[^@]*@/, '//'),
      peer: 'plain driver loop: natural-order cursor, next batch read ahead, same mapping, multi-row INSERTs, one transaction per batch (mongoexport is not packaged for this Debian)',
      host: process.env.BENCH_HOST_NOTE ?? null,
      complete: false, progress: null as unknown, results: [] as (RunnerResult & { ratioVsDriverLoop: number | null })[],
    };
    const write = () => {
      const driver = results.find((r) => r.runner === 'driver');
      out.results = results.map((r) => ({ ...r, ratioVsDriverLoop: driver && r.runner !== 'validate' ? Math.round((r.docsPerSecond / driver.docsPerSecond) * 100) / 100 : null }));
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    };
    // The two backfills first (the ratio; tmig's first, as the run this bench exists for), then
    // validation of tmig's copy. Each runner reports progress, so a run cut short still has its rates.
    const kinds = arg('runners', 'tmig,driver,validate').split(',') as ('tmig' | 'driver' | 'validate')[];
    // --max-seconds driver=1200,validate=3600: stop a runner then and report its rate so far (partial).
    const caps: Record<string, number | undefined> = Object.fromEntries(arg('max-seconds', '').split(',').filter(Boolean).map((kv) => {
      const [k, v] = kv.split('=');
      return [k!, Number(v)];
    }));
    for (const kind of kinds) {
      // A fresh FerretDB per runner: its peak RSS is this runner's, and no runner inherits the other's caches.
      await stopServer();
      await startServer();
      const mysqlDb = kind === 'validate' ? dbs.tmig : dbs[kind];
      if (kind !== 'validate') await admin.query(`CREATE DATABASE \`${mysqlDb}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      log(`${kind}: running${caps[kind] ? ` (stopped after ${caps[kind]} s if not done)` : ''}`);
      let first: { docs: number; seconds: number } | undefined;
      let last: { docs: number; seconds: number } | undefined;
      const res = await runChild(['--import', 'tsx', __filename, '--runner', kind, server!.url, mongoDb, mysqlDb, JSON.stringify(plan), String(chunk)], (p) => {
        log(`${kind}: progress ${JSON.stringify(p)}`);
        last = p as typeof last;
        if (!first && last!.docs > 0) first = last;
        out.progress = p;
        write();
      }, caps[kind]);
      const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line && res.stopped) {
        // Stopped at its cap: the rate so far, from its last progress line (said to be partial, not a whole run).
        const r: RunnerResult = {
          runner: kind, docs: last?.docs ?? 0, seconds: last?.seconds ?? 0, docsPerSecond: last ? Math.round(last.docs / last.seconds) : 0,
          peakRssMb: res.stopped.peakRssMb ?? 0, mysqlRows: -1, mongoPeakRssMb: peakRssMb(server!.pid), partial: `stopped at its cap of ${caps[kind]} s`,
        };
        results.push(r);
        out.progress = null;
        write();
        log(`${kind}: ${JSON.stringify(r)}`);
        if (kind !== 'tmig') await admin.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``);
        continue;
      }
      if (!line) throw new Error(`${kind} runner failed: ${res.stderr}`);
      out.progress = null;
      const r = JSON.parse(line.slice(7)) as RunnerResult;
      r.mongoPeakRssMb = peakRssMb(server!.pid);
      // Before the first progress line with documents, a sorted read waits for the server's sort
      // (FerretDB sorts in memory); after it, the rate at which documents flow.
      if (first) {
        r.firstProgressAfterSeconds = first.seconds;
        if (r.seconds > first.seconds) r.docsPerSecondAfterFirstProgress = Math.round((r.docs - first.docs) / (r.seconds - first.seconds));
      }
      if (r.mysqlRows !== docs) throw new Error(`${kind}: ${r.mysqlRows} rows in MySQL, expected ${docs}`);
      results.push(r);
      write();
      log(`${kind}: ${JSON.stringify(r)}`);
      if (kind !== 'tmig') await admin.query(`DROP DATABASE IF EXISTS \`${mysqlDb}\``);
    }
    out.complete = results.every((r) => !r.partial);
    write();
    console.table(out.results);
    console.log(`written ${file}`);
  } finally {
    for (const d of Object.values(dbs)) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``);
    await admin.end();
    await stopServer();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
