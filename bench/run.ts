/**
 * Benchmark harness: generates (or reuses) data sets on the local PostgreSQL, runs every tool on
 * the same data, verifies each target by row counts and prints one table. See bench/README.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, USAGE } from './args';
import { ensureFleet, ensureMainDataset, fleetTargetName, MARKER_TABLE, SCALE_SPECS, targetDbName } from './datasets';
import { DB_PREFIX, SERVER_URL, dropDatabase, listDatabases, listTables, recreateDatabase, serverVersion, verifyRowCounts, withDb } from './pg';
import { formatFleet, formatResults, withRatios } from './resultTable';
import type { Runner } from './runners/runner';
import { rawPipeRunner } from './runners/rawPipe';
import { runRawPipeFleet } from './runners/rawPipeFleet';
import { pgDumpRunner } from './runners/pgDump';
import { configurePgcopydb, pgcopydbRunner } from './runners/pgcopydb';
import { pgloaderRunner } from './runners/pgloader';
import { configureTmig, runTmigFleet, stopTmigSession, tmigBeforeRunner, tmigCrashRunner, tmigRunner } from './runners/tmig';
import { createSampleTenant } from '../src/demo/sampleTenant';
import type { BenchReport, BenchResult, Scale } from './types';
import { ensureSplitDatasets } from './splitDataset';
import { runSplitScenario } from './runners/tmigSplit';
import { runOnlineScenario } from './onlineScenario';
import { formatMssql, runMssqlScenario } from './mssqlScenario';

const DEFAULT_TMIG_TIMEOUT_S: Record<Scale, number> = { tiny: 300, small: 1800, full: 4 * 3600 };

const RUNNERS: Runner[] = [rawPipeRunner, pgDumpRunner, pgcopydbRunner, pgloaderRunner, tmigRunner];

const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** The tiny-tenant scenario: the demo's hotel01 (run-demo.ts creates it with 2,000 bookings). */
const TENANT_ROWS = 2_000;
const TENANT_SOURCE = `${DB_PREFIX}hotel01_src`;

async function runOne(runner: Runner, source: string, dataset: string, bytes: number, jobs: number, keepTarget: boolean, scale: Scale | 'hotel01'): Promise<BenchResult> {
  const base: BenchResult = {
    tool: runner.tool, dataset, seconds: null, bytes, mbPerSec: null, ratioToRawPipe: null, peakRssMb: null, treeRssMb: null, verified: false,
  };
  const reason = await runner.unavailable();
  if (reason) {
    log(`${runner.tool}: skipped: ${reason}`);
    return { ...base, note: `not run: ${reason}` };
  }
  const target = scale === 'hotel01' ? `${DB_PREFIX}hotel01_dst_${runner.tool.replace(/[^a-z0-9]/g, '_')}` : targetDbName(scale, runner.tool);
  const workDir = mkdtempSync(join(tmpdir(), `tmig-bench-${runner.tool}-`));
  await recreateDatabase(target);
  log(`${runner.tool}: copying ${source} -> ${target}`);
  try {
    const outcome = await runner.run({ jobs, source, target, workDir, log });
    const run = outcome.run;
    const check = await verifyRowCounts(source, target);
    if (!check.ok) log(`${runner.tool}: verification failed: ${check.problems.join('; ')}`);
    const notes = [outcome.note, check.ok ? undefined : check.problems.slice(0, 3).join('; ')].filter(Boolean);
    const result: BenchResult = {
      ...base,
      seconds: run ? run.seconds : null,
      peakRssMb: run ? run.peakRssKb / 1024 : null,
      treeRssMb: run ? run.treeRssKb / 1024 : null,
      machineCpuSeconds: run?.machineCpuSeconds ?? null,
      verified: check.ok && (outcome.ok ?? true) && (run?.exitCode === 0),
      note: notes.length ? notes.join('; ') : undefined,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    };
    log(`${runner.tool}: ${result.seconds?.toFixed(2) ?? '-'} s, verified ${result.verified ? 'yes' : 'no'}`);
    return result;
  } catch (err) {
    log(`${runner.tool}: failed: ${(err as Error).message}`);
    return { ...base, note: `failed: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    if (!keepTarget) await dropDatabase(target);
  }
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (args.clean) {
    const dbs = await listDatabases(DB_PREFIX);
    for (const db of dbs) await dropDatabase(db);
    log(`dropped ${dbs.length} database(s) named ${DB_PREFIX}*`);
    return;
  }
  configurePgcopydb({ split: args.pgcopydbSplit });
  configureTmig({ mode: args.tmigWorkers, timeoutS: args.tmigTimeoutS ?? DEFAULT_TMIG_TIMEOUT_S[args.scale] });
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    host: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memMb: Math.round(totalmem() / 1024 / 1024), postgres: await serverVersion(), ...(args.hostNote ? { note: args.hostNote } : {}) },
    scale: args.scale,
    jobs: args.jobs,
    tmigWorkers: args.tmigWorkers,
    results: [],
  };
  const runners = RUNNERS.filter((r) => args.only.includes(r.tool));
  if (args.tmigBefore && args.only.includes('tmig')) runners.push(tmigBeforeRunner(args.tmigBefore));
  try {
    if (!args.scenariosOnly) {
      if (args.tenant) {
        log(`tenant: creating ${TENANT_SOURCE} (the demo's hotel01, ${TENANT_ROWS} bookings)`);
        await createSampleTenant(SERVER_URL, TENANT_SOURCE, TENANT_ROWS);
        const tenantBytes = await withDb(TENANT_SOURCE, async (c) => (await listTables(c)).reduce((sum, t) => sum + t.bytes, 0));
        for (const runner of runners) {
          report.results.push(await runOne(runner, TENANT_SOURCE, 'tenant hotel01', tenantBytes, args.jobs, args.keepTargets, 'hotel01'));
        }
      }
      const source = await ensureMainDataset(args.scale, { regenerate: args.regenerate, log });
      const bytes = await withDb(source, async (c) => (await listTables(c, [MARKER_TABLE])).reduce((sum, t) => sum + t.bytes, 0));
      const dataset = args.scale;
      for (const runner of runners) {
        report.results.push(await runOne(runner, source, dataset, bytes, args.jobs, args.keepTargets, args.scale));
      }
      if (args.crash) report.results.push(await runOne(tmigCrashRunner, source, `${dataset} crash`, bytes, args.jobs, args.keepTargets, args.scale));
    }
    if (args.fleet) {
      const size = args.fleetSize ?? SCALE_SPECS[args.scale].fleetSize;
      try {
        const tenants = await ensureFleet(size, { regenerate: args.regenerate, log });
        // Tenants are clones of one template: one tenant's size times the count.
        const tenantBytes = await withDb(tenants[0], async (c) => (await listTables(c, [MARKER_TABLE])).reduce((sum, t) => sum + t.bytes, 0));
        if (args.only.includes('raw-pipe')) {
          const pairs = tenants.map((source, i) => ({ source, target: fleetTargetName(i + 1) }));
          report.results.push(await runRawPipeFleet({ pairs, jobs: args.jobs, bytes: tenantBytes * tenants.length, keepTargets: args.keepTargets, log }));
        }
        if (args.tmigBefore) {
          const before = await runTmigFleet({ tenants, jobs: args.jobs, keepTargets: args.keepTargets, bytes: tenantBytes * tenants.length, log, before: args.tmigBefore });
          report.results.push(before.result);
        }
        const fleet = await runTmigFleet({ tenants, jobs: args.jobs, keepTargets: args.keepTargets, bytes: tenantBytes * tenants.length, log });
        report.results.push(fleet.result);
        if (fleet.summary) report.fleet = fleet.summary;
      } catch (err) {
        log(`fleet: failed: ${(err as Error).message}`);
        report.results.push({
          tool: 'tmig', dataset: `fleet ${size}`, seconds: null, bytes: 0, mbPerSec: null, ratioToRawPipe: null,
          peakRssMb: null, treeRssMb: null, verified: false, note: `failed: ${(err as Error).message.split('\n')[0]}`,
        });
      }
    }
    if (args.split) {
      try {
        const data = await ensureSplitDatasets({ tenants: args.splitTenants, mb: args.splitMb, regenerate: args.regenerate, log });
        const split = await runSplitScenario({ ...data, jobs: args.jobs, keepTargets: args.keepTargets, log });
        report.results.push(...split.results);
        if (split.summary) report.split = split.summary;
      } catch (err) {
        log(`split: failed: ${(err as Error).message}`);
        report.results.push({ tool: 'tmig', dataset: `split ${args.splitTenants}`, seconds: null, bytes: 0, mbPerSec: null, ratioToRawPipe: null,
          peakRssMb: null, treeRssMb: null, verified: false, note: `failed: ${(err as Error).message.split('\n')[0]}` });
      }
    }
  } finally {
    await stopTmigSession();
  }
  if (args.mssql) {
    try {
      report.mssql = await runMssqlScenario({ sizeMb: args.mssqlSizeMb, jobs: args.jobs, keepTargets: args.keepTargets, log });
    } catch (err) {
      log(`mssql: failed: ${(err as Error).message}`);
    }
  }
  if (args.online) {
    try {
      report.online = await runOnlineScenario({ sizeMb: args.onlineSizeMb, writesPerSecond: args.onlineRate, steadySeconds: args.onlineSteadySeconds, log });
    } catch (err) {
      log(`online: failed: ${(err as Error).message}`);
    }
  }
  report.results = withRatios(report.results);
  console.log('');
  console.log(`host: ${report.host.cpus} x ${report.host.cpuModel ?? 'unknown CPU'}, ${report.host.memMb} MB, PostgreSQL ${report.host.postgres}`);
  console.log(formatResults(report.results));
  if (report.fleet) console.log('\n' + formatFleet(report.fleet));
  if (report.split) {
    const s = report.split;
    console.log(`\nsplit ${s.tenants} tenants: ${s.splitSeconds?.toFixed(1)} s vs ${s.separateSeconds?.toFixed(1)} s as separate databases (x${s.ratioToSeparate?.toFixed(2)}); `
      + `median per-tenant overhead ${s.split?.medianOverheadMs} ms (separate ${s.separate?.medianOverheadMs} ms), median extra wall per tenant ${s.medianExtraMsPerTenant} ms; `
      + `source read amplification ${s.readAmplification.toFixed(2)} (${(s.bytesRead / 1048576).toFixed(0)} MB read of ${(s.sourceBytes / 1048576).toFixed(0)} MB), `
      + `rows ${s.rowReadAmplification.toFixed(2)} (${s.rowsRead} rows read of ${s.sourceRows})`);
    if (s.blocksRead !== undefined) {
      console.log(`  block accesses: ${s.blocksHit} in shared buffers, ${s.blocksRead} read from outside them `
        + `(${((s.physicalBytesRead ?? 0) / 1048576).toFixed(0)} MB: x${(s.physicalReadAmplification ?? 0).toFixed(2)} the database's size)`);
    }
    for (const [t, v] of Object.entries(s.seqScans)) {
      console.log(`  ${t}: ${v.seqScans} sequential scans (${v.seqRowsRead} rows), ${v.indexScans} index scans (${v.indexRowsFetched} rows fetched), ${v.rows} rows`
        + (v.heapBlocks !== undefined ? `; blocks: heap ${v.heapBlocks} (table ${v.tablePages} pages), indexes ${v.indexBlocks} (${v.indexPages} pages), ${v.blocksRead} from outside shared buffers` : ''));
    }
    for (const [name, f] of [['split', s.split], ['separate', s.separate]] as const) {
      if (f) console.log(`  ${name}: per-tenant median wall ${f.medianWallMs} ms, overhead ${f.medianOverheadMs} ms (p90 ${f.p90OverheadMs}); median ms per phase: `
        + Object.entries(f.medianPhaseMs).map(([p, ms]) => `${p} ${ms}`).join(', '));
    }
  }
  if (report.mssql) console.log('\n' + formatMssql(report.mssql));
  if (report.online) console.log('\nonline scenario:\n' + JSON.stringify(report.online, null, 2));
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
    log(`results written to ${args.json}`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
