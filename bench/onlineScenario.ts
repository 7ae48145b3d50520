/**
 * The online scenario of `npm run bench -- --online`: a tenant under a pgbench-like writer
 * (~500 writes/s by default) migrated online. Reports the catch-up time after the copy, the
 * steady-state lag (p50/p99), changes applied per second against the writer's rate, the
 * write-blocked time at cutover (goal < 5 s) and the worker's RSS.
 */
import type { OnlineBenchResult } from './types';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TenantMigrationInput, TenantMigrationResult, TenantProgress } from '../src/contract/migration';
import { ChangeWriter, seedWriterTables } from '../src/demo/changeWriter';
import { dbUrl, dropDatabase, recreateDatabase, SERVER_URL, withDb } from './pg';
import { TreeSampler } from './measure';
import { startDevServer, stopProcess } from './temporalServer';

const REPO = resolve(__dirname, '..');
const SRC = 'tmig_bench_online_src';
const DST = 'tmig_bench_online_dst';


const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function runOnlineScenario(opts: { sizeMb: number; writesPerSecond: number; steadySeconds: number; log: (m: string) => void }): Promise<OnlineBenchResult> {
  const { log } = opts;
  await dropDatabase(DST);
  await recreateDatabase(SRC);
  // About 2 kB per row on average (every fifth row carries a ~10 kB TOASTed value).
  const rows = Math.max(2000, Math.round((opts.sizeMb * 1024 * 1024) / 2600));
  log(`online: seeding ${SRC} with ${rows} rows (~${opts.sizeMb} MB)`);
  await withDb(SRC, (db) => seedWriterTables(db, rows));
  const server = await startDevServer(log);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const dir = mkdtempSync(join(tmpdir(), 'tmig-bench-online-'));
  const configPath = join(dir, 'migrator.json');
  writeFileSync(configPath, JSON.stringify({ servers: { bench: { kind: 'postgres', url: SERVER_URL, maxConcurrency: 8 } }, workDir: join(dir, 'work'), reports: { dir: join(dir, 'reports') } }));
  const worker = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/workers/main.ts')], {
    cwd: REPO, env: { ...process.env, MIGRATOR_CONFIG: configPath, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  worker.stdout!.on('data', (c) => { tail = (tail + c).slice(-3000); });
  worker.stderr!.on('data', (c) => { tail = (tail + c).slice(-3000); });
  const sampler = new TreeSampler(worker.pid!, 500).start();
  const writer = new ChangeWriter(dbUrl(SRC), opts.writesPerSecond, 10_000_000, 'bench-writer');
  const lagS: number[] = [];
  const lagB: number[] = [];
  const steadyRates: number[] = [];
  let appliedMax = 0;
  try {
    writer.start();
    const writerStarted = Date.now();
    const input: TenantMigrationInput = {
      tenantId: 'bench-online', source: { server: 'bench', database: SRC }, target: { server: 'bench', database: DST },
      options: { online: { sliceSeconds: 5, lagThresholdSeconds: 2 }, tableConcurrency: 2 },
    };
    const handle = await client.workflow.start('tenantMigration', { taskQueue: 'migrations', workflowId: 'tenant-bench-online', args: [input] });
    const started = Date.now();
    let copyEnded: number | undefined;
    let steadyFrom: number | undefined;
    let lastSliceSig = '';
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (worker.exitCode !== null) throw new Error(`worker exited: ${tail}`);
      const p = await handle.query<TenantProgress>('progress');
      if (p.phase === 'failed') throw new Error(`tenant failed: ${p.lastError}`);
      if (!p.cdc) continue;
      copyEnded ??= Date.now();
      const sig = `${p.cdc.changesApplied}/${p.cdc.lastAppliedCommitTime}`;
      if (sig !== lastSliceSig) {
        lastSliceSig = sig;
        appliedMax = Math.max(appliedMax, p.cdc.appliedPerSecond);
        if (steadyFrom !== undefined) {
          lagS.push(p.cdc.lagSeconds);
          lagB.push(p.cdc.lagBytes);
          steadyRates.push(p.cdc.appliedPerSecond);
        }
      }
      if (steadyFrom === undefined && p.cdc.catchUpMs !== undefined) {
        steadyFrom = Date.now();
        log(`online: caught up ${(p.cdc.catchUpMs / 1000).toFixed(1)} s after the copy; measuring steady state for ${opts.steadySeconds} s`);
      }
      if (steadyFrom !== undefined && Date.now() - steadyFrom >= opts.steadySeconds * 1000) break;
      if (Date.now() - started > 3 * 3600 * 1000) throw new Error('online scenario: no catch-up within 3 h');
    }
    log('online: cutover');
    await handle.signal('cutover');
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      const p = await handle.query<TenantProgress>('progress');
      if (p.phase === 'rollback-window') break;
      if (p.phase === 'failed') throw new Error(`tenant failed during cutover: ${p.lastError}`);
    }
    const writes = await writer.stop();
    const writerSeconds = (Date.now() - writerStarted) / 1000;
    await handle.signal('cutover-confirm');
    const result = await handle.result() as TenantMigrationResult;
    const cut = result.online?.cutovers.find((c) => c.ok);
    const catchUpMs = result.online?.catchUpMs;
    const copyPhase = result.phases.find((ph) => ph.phase === 'copy');
    return {
      sizeMb: opts.sizeMb, writerTargetPerSecond: opts.writesPerSecond, writerActualPerSecond: Math.round(writes.ops / writerSeconds),
      copySeconds: copyPhase?.ms !== undefined ? copyPhase.ms / 1000 : null, catchUpSeconds: catchUpMs !== undefined ? catchUpMs / 1000 : null,
      lagSecondsP50: pct(lagS, 50), lagSecondsP99: pct(lagS, 99), lagBytesP50: pct(lagB, 50),
      appliedPerSecondMax: appliedMax, appliedPerSecondSteady: pct(steadyRates, 50),
      writeBlockedMs: cut?.writeBlockedMs ?? null, workerPeakRssMb: Math.round(sampler.current().peakRssKb / 1024),
      cutoverSteps: (cut?.steps ?? []).map((s) => ({ step: s.step, ms: s.ms })),
      verdict: result.ok && result.online?.finalCheck?.ok ? 'target equal to the frozen source (final checksum check)' : 'NOT verified',
    };
  } finally {
    await writer.stop().catch(() => undefined);
    sampler.stop();
    await stopProcess(worker);
    await connection.close().catch(() => undefined);
    await server.stop();
    await dropDatabase(DST).catch(() => undefined);
  }
}
