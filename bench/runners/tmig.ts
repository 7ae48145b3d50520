import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { HEAVY_TASK_QUEUE, TASK_QUEUE } from '../../src/contract/names';
import type { MigrationWaveInput, MigrationWaveResult, TenantMigrationResult, TenantSpec } from '../../src/contract/migration';
import { tenantRunWorkflowId } from '../../src/contract/runIdentity';
import { fleetTargetName } from '../datasets';
import { summarizeFleet, tenantTiming } from '../fleetTiming';
import { TreeSampler, type MeasuredRun } from '../measure';
import { countRows, dropDatabase, quoteIdent, SERVER_URL, verifyRowCounts, withDb } from '../pg';
import { startDevServer, stopProcess, TEMPORAL_BIN, type DevServer } from '../temporalServer';
import type { BenchResult, FleetSummary } from '../types';
import type { Runner, RunnerContext, RunnerOutcome } from './runner';
import { busyCpuSince, cpuSnapshot } from '../machineCpu';

const REPO = resolve(__dirname, '..', '..');
const workerEntry = (repo: string) => join(repo, 'src', 'workers', 'main.ts');
const workflowsEntry = (repo: string) => join(repo, 'src', 'workflows', 'index.ts');
/** Server name the worker config gives the bench PostgreSQL. */
export const SERVER = 'bench';

/** Extra worker-config server entries (e.g. the SQL Server of `--mssql`), added before the session starts. */
const extraServers: Record<string, Record<string, unknown>> = {};

/** Adds a server entry to the worker config of the tmig session; must be called before the first tmig run. */
export function addTmigServer(name: string, config: Record<string, unknown>): void {
  if (session) throw new Error(`tmig session already started: cannot add server "${name}"`);
  extraServers[name] = config;
}

let session: { server: DevServer; client: Client; connection: Connection; configDir: string; configPath: string } | undefined;

async function ensureSession(log: (m: string) => void) {
  if (session) return session;
  const server = await startDevServer(log);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const configDir = mkdtempSync(join(tmpdir(), 'tmig-bench-config-'));
  const configPath = join(configDir, 'migrator.json');
  const config = {
    servers: { [SERVER]: { kind: 'postgres', url: SERVER_URL, maxConcurrency: 64 }, ...extraServers },
    workDir: join(configDir, 'work'),
    reports: { dir: join(configDir, 'reports') },
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  session = { server, client, connection, configDir, configPath };
  return session;
}

/** Stops the dev server started for tmig runs (no-op when none was started). */
export async function stopTmigSession(): Promise<void> {
  if (!session) return;
  const s = session;
  session = undefined;
  await s.connection.close().catch(() => undefined);
  await s.server.stop();
  rmSync(s.configDir, { recursive: true, force: true });
}

export type TmigWorkerMode = 'all' | 'split';
type WorkerRole = 'all' | 'light' | 'heavy';

let workerMode: TmigWorkerMode = 'all';
let waveTimeoutS = 3 * 3600;

/**
 * `all`: one worker process (the default deployment); `split`: a light and a heavy (copy) worker process.
 * A wave still running after `timeoutS` is terminated and reported as failed with what it was stuck on.
 */
export function configureTmig(opts: { mode: TmigWorkerMode; timeoutS: number }): void {
  workerMode = opts.mode;
  waveTimeoutS = opts.timeoutS;
}

/** What a stuck wave's tenants are waiting on: pending activities, attempts and last failures. */
async function describeStuck(s: NonNullable<typeof session>, input: MigrationWaveInput): Promise<string> {
  const lines: string[] = [];
  for (const t of input.tenants.slice(0, 20)) {
    try {
      const d = await s.client.workflow.getHandle(`tenant-${t.tenantId}`).describe();
      if (d.status.name !== 'RUNNING') continue;
      for (const a of d.raw.pendingActivities ?? []) {
        lines.push(`${t.tenantId}: ${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` last failure: ${a.lastFailure.message}` : ''}`);
      }
      if (!(d.raw.pendingActivities ?? []).length) lines.push(`${t.tenantId}: running, no pending activity`);
    } catch {
      // the tenant never started: nothing to describe
    }
  }
  return lines.slice(0, 8).join('; ');
}

interface WorkerHandle {
  role: WorkerRole;
  /** Set before the harness kills it on purpose (crash run), so the exit is not an error. */
  expectedExit?: boolean;
  child: ChildProcess;
  sampler: TreeSampler;
  /** VmHWM when the worker first polled: start-up cost (workflow bundling) before any work. */
  readyHwmKb: number;
  output: () => string;
}

interface WorkerPeak {
  role: WorkerRole;
  peakRssKb: number;
  treeRssKb: number;
  readyHwmKb: number;
  /** Largest sampled VmRSS while the wave ran. */
  workRssKb: number;
}

/** The real worker process, as `npm run worker` starts it, but without the npm wrapper in between. */
async function startWorker(s: NonNullable<typeof session>, role: WorkerRole, log: (m: string) => void, repo: string): Promise<WorkerHandle> {
  // As the checkout itself starts a worker: bin/tmig-worker (its process-start memory settings, then
  // the compiled dist/ when fresh); older checkouts bin/tmig-worker.js, or tsx. The shell launcher
  // execs node, so the pid (and the RSS sampled) is the worker's.
  const shellLauncher = join(repo, 'bin', 'tmig-worker');
  const launcher = join(repo, 'bin', 'tmig-worker.js');
  const [cmd, args] = existsSync(shellLauncher) ? [shellLauncher, []]
    : [process.execPath, existsSync(launcher) ? [launcher] : ['--import', 'tsx', workerEntry(repo)]];
  const child = spawn(cmd, args, {
    cwd: repo,
    env: {
      ...process.env, MIGRATOR_CONFIG: s.configPath, TEMPORAL_ADDRESS: s.server.address, TEMPORAL_NAMESPACE: s.server.namespace, WORKER_ROLE: role,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const collect = (c: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(c);
    tail = (tail + c.toString('utf8')).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const sampler = new TreeSampler(child.pid!, 200).start();
  // The heavy worker only polls activities on the heavy queue; the others poll workflow tasks.
  const [queue, queueType] = role === 'heavy' ? [HEAVY_TASK_QUEUE, 2 /* ACTIVITY */] : [TASK_QUEUE, 1 /* WORKFLOW */];
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tmig ${role} worker exited with ${child.exitCode} before polling: ${tail}`);
    const res = await s.client.workflowService.describeTaskQueue({
      namespace: s.server.namespace, taskQueue: { name: queue }, taskQueueType: queueType,
    });
    // Pollers of a worker stopped a moment ago stay listed: wait for this process's own identity (pid@host).
    if ((res.pollers ?? []).some((p) => p.identity?.startsWith(`${child.pid}@`))) break;
    if (Date.now() > deadline) {
      await stopProcess(child);
      throw new Error(`tmig ${role} worker did not poll task queue ${queue} within 120 s: ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  sampler.sample();
  const readyHwmKb = sampler.current().peakRssKb;
  sampler.resetWindow();
  log(`tmig ${role} worker pid ${child.pid} polling ${queue} (RSS high-water mark at start-up ${(readyHwmKb / 1024).toFixed(0)} MB)`);
  return { role, child, sampler, readyHwmKb, output: () => tail };
}

/** Reads the worker's final peak (VmHWM only grows, so a last sample is exact) and stops it. */
async function stopWorker(w: WorkerHandle): Promise<WorkerPeak> {
  w.sampler.sample();
  const { windowRssKb } = w.sampler.current();
  const peak = w.sampler.stop();
  await stopProcess(w.child);
  return { role: w.role, ...peak, readyHwmKb: w.readyHwmKb, workRssKb: windowRssKb };
}

function memoryNote(peaks: WorkerPeak[]): string {
  const mb = (kb: number) => (kb / 1024).toFixed(0);
  return peaks.map((p) => `${p.role} worker RSS: high-water ${mb(p.peakRssKb)} MB (${mb(p.readyHwmKb)} MB at start-up), max ${mb(p.workRssKb)} MB sampled during the wave`).join('; ');
}

export interface WaveRun {
  result: MigrationWaveResult;
  seconds: number;
  /** Busy CPU seconds of the whole machine over `seconds` (worker, Temporal server, PostgreSQL). */
  machineCpuSeconds?: number;
  /** Largest single worker process, and the sum of the workers' tree peaks. */
  peak: { peakRssKb: number; treeRssKb: number };
  workers: WorkerPeak[];
  workerTail: string;
  crash?: CrashPoint;
}

/** Where the copying worker was SIGKILLed in a crash run (`missed`: the tenant finished first). */
export type CrashPoint = { atCopyMs: number; copiesInFlight: number } | { missed: true };

interface CrashPlan {
  /** Kill once chunks have been written for this long (then at the next chunk in flight). */
  afterCopyMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends the governors a previous run left in their idle grace: runs are sequential, so they hold
 * nothing, and the next run may be another checkout (--tmig-before) whose workflow code could not
 * replay a newer governor's history.
 */
async function endIdleGovernors(s: Awaited<ReturnType<typeof ensureSession>>): Promise<void> {
  for await (const w of s.client.workflow.list({ query: `WorkflowType = 'concurrencyGovernor' AND ExecutionStatus = 'Running'` })) {
    await s.client.workflow.getHandle(w.workflowId, w.runId).terminate('bench: the previous run is over').catch(() => undefined);
  }
}

async function dumpHistories(s: Awaited<ReturnType<typeof ensureSession>>, waveWorkflowId: string, input: MigrationWaveInput, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const ids = [waveWorkflowId, ...input.tenants.slice(0, 6).map((t) => tenantRunWorkflowId(t.tenantId, input.waveId))];
  for (const id of ids) {
    const history = await s.client.workflow.getHandle(id).fetchHistory().catch(() => undefined);
    if (history) writeFileSync(join(dir, `${id.replace(/[^A-Za-z0-9_.@-]/g, '_')}.json`), JSON.stringify(history));
  }
}

export async function runWave(input: MigrationWaveInput, log: (m: string) => void, crash?: CrashPlan, repo = REPO): Promise<WaveRun> {
  const s = await ensureSession(log);
  const workers: WorkerHandle[] = [];
  const peaks: WorkerPeak[] = [];
  const output = () => workers.map((w) => `[${w.role}] ${w.output().slice(-1500)}`).join('\n');
  // A crashed worker or a stuck wave must not hang the harness: the result races both.
  let rejectExit: (err: Error) => void = () => undefined;
  const unexpectedExit = new Promise<never>((_, reject) => { rejectExit = reject; });
  const launch = async (role: WorkerRole) => {
    const w = await startWorker(s, role, log, repo);
    w.child.once('exit', (code, signal) => {
      if (!w.expectedExit) rejectExit(new Error(`tmig ${w.role} worker exited (${signal ?? `status ${code}`}) while wave ${input.waveId} ran`));
    });
    workers.push(w);
  };
  let finished = false;
  try {
    await endIdleGovernors(s);
    for (const role of (workerMode === 'split' ? ['light', 'heavy'] : ['all']) as WorkerRole[]) await launch(role);
    const started = process.hrtime.bigint();
    const cpu = cpuSnapshot();
    const handle = await s.client.workflow.start('migrationWave', {
      taskQueue: TASK_QUEUE,
      workflowId: `bench-wave-${input.waveId}`,
      args: [input],
    });
    const crashDone = crash ? crashCopyingWorker(crash) : Promise.resolve(undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        describeStuck(s, input).then((stuck) => reject(new Error(`wave ${input.waveId} did not finish within ${waveTimeoutS} s (--tmig-timeout)${stuck ? `: ${stuck}` : ''}`)));
      }, waveTimeoutS * 1000);
    });
    let result: MigrationWaveResult;
    try {
      result = (await Promise.race([handle.result(), unexpectedExit, timeout])) as MigrationWaveResult;
    } catch (err) {
      await handle.terminate('bench harness gave up').catch(() => undefined);
      throw err;
    } finally {
      finished = true;
      clearTimeout(timer);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const machineCpuSeconds = busyCpuSince(cpu);
    // BENCH_HISTORY_DIR: the wave's and its first tenants' histories, for a timeline of where the time goes.
    if (process.env.BENCH_HISTORY_DIR) await dumpHistories(s, `bench-wave-${input.waveId}`, input, process.env.BENCH_HISTORY_DIR).catch((err) => log(`histories not written: ${(err as Error).message}`));
    const crashPoint = await crashDone;
    for (const w of workers.splice(0)) peaks.push(await stopWorker(w));
    return {
      result,
      seconds,
      ...(machineCpuSeconds !== undefined ? { machineCpuSeconds } : {}),
      workers: peaks,
      peak: { peakRssKb: Math.max(...peaks.map((p) => p.peakRssKb)), treeRssKb: Math.max(...peaks.map((p) => p.treeRssKb)) },
      workerTail: output(),
      crash: crashPoint,
    };
  } catch (err) {
    finished = true;
    const tail = output();
    for (const w of workers.splice(0)) await stopWorker(w);
    throw new Error(`${(err as Error).message}${tail ? `\nworker output: ${tail}` : ''}`);
  }

  /**
   * Watches the target for a COPY ... FROM STDIN in flight (from pg_stat_activity, so it needs
   * nothing from tmig's internals); once the copy has run `afterCopyMs` (40% of the plain run's
   * copy phase) it SIGKILLs the worker that copies *while a chunk is being written*, so that
   * chunk is lost, and starts a fresh worker.
   */
  async function crashCopyingWorker(plan: CrashPlan): Promise<CrashPoint> {
    const target = input.tenants[0].target.database;
    return withDb('postgres', async (c) => {
      let copySince: number | undefined;
      while (!finished) {
        const res = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity
          WHERE datname = $1 AND state = 'active' AND query ILIKE 'copy%from stdin%'`, [target]);
        const copying = Number(res.rows[0].n) > 0;
        if (copying) copySince ??= Date.now();
        if (copying && Date.now() - copySince! >= (plan.afterCopyMs ?? 0)) {
          const victim = workers.find((w) => w.role !== 'light')!;
          victim.expectedExit = true;
          victim.sampler.sample();
          const peak = { role: victim.role, ...victim.sampler.stop(), readyHwmKb: victim.readyHwmKb, workRssKb: victim.sampler.current().windowRssKb };
          const exited = new Promise((r) => victim.child.once('exit', r));
          victim.child.kill('SIGKILL');
          await exited;
          workers.splice(workers.indexOf(victim), 1);
          peaks.push(peak);
          const atCopyMs = Date.now() - copySince!;
          log(`tmig: SIGKILLed the ${victim.role} worker ${(atCopyMs / 1000).toFixed(1)} s into the copy, ${res.rows[0].n} COPY in flight; starting a new one`);
          await launch(victim.role);
          return { atCopyMs, copiesInFlight: Number(res.rows[0].n) };
        }
        await sleep(50);
      }
      return { missed: true };
    });
  }
}

/**
 * Tenants of a wave that succeeded (or were complete already) and that failed: the exact counts
 * when the result has them; the outcome lists are capped samples (50) on a large wave.
 */
export function waveSucceeded(result: MigrationWaveResult): number {
  return result.counts ? result.counts.succeeded + result.counts.alreadyComplete : result.succeeded.length;
}
export function waveFailed(result: MigrationWaveResult): number {
  return result.counts ? result.counts.failed : result.failed.length;
}

export function waveFailures(result: MigrationWaveResult): string | undefined {
  if (!waveFailed(result)) return undefined;
  return `tmig: ${waveFailed(result)} tenant(s) failed: ${result.failed.slice(0, 3).map((f) => `${f.tenantId}: ${f.error ?? 'failed'}`).join('; ')}`;
}

/** A tenant's result: its run in the wave (`tenant-<id>@<wave>`), or the older `tenant-<id>` workflow id. */
export async function tenantResult(tenantId: string, waveId?: string): Promise<TenantMigrationResult | undefined> {
  if (!session) return undefined;
  if (waveId) {
    try {
      return (await session.client.workflow.getHandle(tenantRunWorkflowId(tenantId, waveId)).result()) as TenantMigrationResult;
    } catch {
      // a worker from before run identities: fall back to the old id
    }
  }
  if (!session) return undefined;
  try {
    return (await session.client.workflow.getHandle(`tenant-${tenantId}`).result()) as TenantMigrationResult;
  } catch {
    return undefined;
  }
}

export function tmigUnavailable(repo = REPO): string | null {
  if (!existsSync(workflowsEntry(repo))) return `${repo}/src/workflows/index.ts does not exist (migrationWave workflow not built)`;
  if (!existsSync(workerEntry(repo))) return `${repo}/src/workers/main.ts does not exist (worker not built)`;
  if (!existsSync(TEMPORAL_BIN)) return `Temporal CLI not found at ${TEMPORAL_BIN} (run npm run setup)`;
  return null;
}

/** Copy-phase length of the last plain tmig run: the crash run kills the worker part-way through it. */
let lastCopyPhaseMs: number | undefined;

async function runTmigOnce(ctx: RunnerContext, crashAtFraction?: number, repo = REPO): Promise<RunnerOutcome> {
  const tenantId = `bench-${ctx.source.replace(/^tmig_bench_/, '')}${crashAtFraction ? '-crash' : ''}${repo === REPO ? '' : '-before'}`;
  const chunkRows = process.env.BENCH_CHUNK_ROWS ? Number(process.env.BENCH_CHUNK_ROWS) : undefined;
  // BENCH_VALIDATION=full|sample|none: the validation mode to measure (default: tmig's, full).
  const validation = process.env.BENCH_VALIDATION as 'full' | 'sample' | 'none' | undefined;
  // BENCH_COPY_READ_BACK=1: chunks read their rows back while writing them (validation by census, see README).
  const copyReadBack = process.env.BENCH_COPY_READ_BACK === '1';
  // BENCH_COPY_FORMAT=text: canonical text COPY for every table (default: binary where the types allow).
  const copyFormat = process.env.BENCH_COPY_FORMAT === 'text' ? 'text' as const : undefined;
  const input: MigrationWaveInput = {
    waveId: `${tenantId}-${Date.now()}`,
    tenants: [{ tenantId, source: { server: SERVER, database: ctx.source }, target: { server: SERVER, database: ctx.target } }],
    options: { maxConcurrentTenants: 1, tableConcurrency: ctx.jobs, ...(chunkRows ? { chunkRows } : {}), ...(validation ? { validation } : {}), ...(copyReadBack ? { copyReadBack } : {}), ...(copyFormat ? { copyFormat } : {}) },
  };
  const plan = crashAtFraction ? { afterCopyMs: lastCopyPhaseMs !== undefined ? lastCopyPhaseMs * crashAtFraction : undefined } : undefined;
  const wave = await runWave(input, ctx.log, plan, repo);
  const run: MeasuredRun = { seconds: wave.seconds, exitCode: 0, signal: null, outputTail: wave.workerTail, ...wave.peak, machineCpuSeconds: wave.machineCpuSeconds };
  const tenant = await tenantResult(tenantId, input.waveId);
  if (!crashAtFraction && tenant) lastCopyPhaseMs = tenant.phases.filter((p) => p.phase === 'copy').reduce((a, p) => a + (p.ms ?? 0), 0) || undefined;
  const notes = [waveFailures(wave.result), memoryNote(wave.workers)];
  if (tenant?.validation) notes.push(`validation ${tenant.validation.mode}: ${tenant.validation.ok ? 'ok' : 'FAILED'}`);
  if (tenant) notes.push(`phases ms: ${Object.entries(tenantTiming(tenant).phaseMs).map(([p, ms]) => `${p} ${ms}`).join(', ')}`);
  if (tenant) notes.push(`tables: ${tenant.tables.map((t) => `${t.table} ${t.ranges} range(s) ${t.chunks} chunk(s) ${(t.copyMs / 1000).toFixed(1)} s`).join(', ')}`);
  const detail: Record<string, unknown> = {
    workers: wave.workers.map((w) => ({ role: w.role, peakRssMb: w.peakRssKb / 1024, startupRssMb: w.readyHwmKb / 1024, workRssMb: w.workRssKb / 1024 })),
    ...(tenant ? {
      phasesMs: tenantTiming(tenant).phaseMs,
      tables: tenant.tables.map((t) => ({ table: t.table, rows: t.targetRows, ranges: t.ranges, chunks: t.chunks, copyMs: t.copyMs })),
      validation: tenant.validation?.mode,
    } : {}),
  };
  let ok = wave.result.failed.length === 0 && wave.result.succeeded.length === 1 && (tenant?.validation?.ok ?? true);
  if (wave.crash) {
    if ('missed' in wave.crash) notes.push('crash: no COPY was caught in flight (data set too small?)');
    else {
      const recopy = await recopiedRows(ctx.target, tenant);
      detail.crash = { ...wave.crash, recopiedRows: recopy.total, withinBound: recopy.withinBound };
      notes.push(`crash: worker SIGKILLed ${(wave.crash.atCopyMs / 1000).toFixed(1)} s into the copy with ${wave.crash.copiesInFlight} chunk(s) in flight; ${recopy.summary}`);
      ok = ok && recopy.withinBound;
    }
  }
  return { run, ok, detail, note: notes.filter(Boolean).join('; ') || undefined };
}

export const tmigRunner: Runner = {
  tool: 'tmig',
  async unavailable() {
    return tmigUnavailable();
  },
  run: (ctx) => runTmigOnce(ctx),
};

/**
 * tmig with the worker and workflows of another checkout (`--tmig-before DIR`, e.g. main's), run
 * in the same invocation on the same data: the "before" figures of a change.
 */
export function tmigBeforeRunner(repo: string): Runner {
  return {
    tool: 'tmig-before',
    async unavailable() {
      return tmigUnavailable(repo);
    },
    run: (ctx) => runTmigOnce(ctx, undefined, repo),
  };
}

/**
 * tmig again, with the copying worker SIGKILLed 40% into the plain run's copy time, while a chunk
 * is being written, and a new one started: checks that the resumed copy is exact and that at most one chunk per range is copied again.
 */
export const tmigCrashRunner: Runner = {
  tool: 'tmig',
  async unavailable() {
    return tmigUnavailable();
  },
  run: (ctx) => runTmigOnce(ctx, 0.4),
};

/**
 * Rows written to the target more than once: PostgreSQL counts inserts of rolled-back transactions
 * in n_tup_ins, so n_tup_ins - final rows = rows of chunks that were lost in the crash and copied
 * again. The bound is one chunk per range for keyed tables, the whole table for tables without a key.
 */
async function recopiedRows(target: string, tenant: TenantMigrationResult | undefined): Promise<{ summary: string; withinBound: boolean; total: number }> {
  await sleep(1500); // backends of the killed worker flush their statistics as they exit
  const stats = await withDb(target, async (c) => (await c.query<{ schema: string; name: string; ins: string; live: string }>(
    `SELECT schemaname AS schema, relname AS name, n_tup_ins::text AS ins, n_live_tup::text AS live
       FROM pg_stat_user_tables WHERE schemaname <> '_tmig'`)).rows);
  const parts: string[] = [];
  let withinBound = true;
  let total = 0;
  for (const st of stats) {
    const rows = await withDb(target, (c) => countRows(c, `${quoteIdent(st.schema)}.${quoteIdent(st.name)}`));
    const extra = Math.max(0, Number(st.ins) - rows);
    if (!extra) continue;
    total += extra;
    const t = tenant?.tables.find((x) => x.table === st.name || x.table === `${st.schema}.${st.name}` || x.table.endsWith(`.${st.name}`));
    const chunkRows = t && t.chunks > 0 ? Math.ceil(t.sourceRows / t.chunks) : undefined;
    const bound = t ? (t.key ? t.ranges * (chunkRows ?? 0) : t.sourceRows) : undefined;
    if (bound !== undefined && extra > bound) withinBound = false;
    parts.push(`${st.name} +${extra}${t ? ` (${t.ranges} range(s), ~${chunkRows} rows/chunk, bound ${bound})` : ''}`);
  }
  const summary = total ? `rows copied again: ${total} (${parts.join(', ')})${withinBound ? '' : ' - OVER one chunk per range'}` : 'rows copied again: 0';
  return { summary, withinBound, total };
}

export interface FleetRun {
  result: BenchResult;
  summary?: FleetSummary;
}

/** Migrates the fleet's tenant databases in one wave and reports the per-tenant orchestration overhead. */
export async function runTmigFleet(opts: { tenants: string[]; jobs: number; keepTargets: boolean; bytes: number; log: (m: string) => void; before?: string }): Promise<FleetRun> {
  const dataset = `fleet ${opts.tenants.length}`;
  const repo = opts.before ?? REPO;
  const base: BenchResult = {
    tool: opts.before ? 'tmig-before' : 'tmig', dataset, seconds: null, bytes: opts.bytes, mbPerSec: null, ratioToRawPipe: null, peakRssMb: null, treeRssMb: null, verified: false,
  };
  const reason = tmigUnavailable(repo);
  if (reason) return { result: { ...base, note: `not run: ${reason}` } };
  const specs: TenantSpec[] = opts.tenants.map((database, i) => ({
    tenantId: `bench-fleet-${opts.before ? 'before-' : ''}${String(i + 1).padStart(4, '0')}`,
    source: { server: SERVER, database },
    target: { server: SERVER, database: fleetTargetName(i + 1) },
  }));
  // tmig creates each target database itself (as in production): only leftovers are dropped here.
  for (const t of specs) await dropDatabase(t.target.database);
  try {
    opts.log(`tmig: migrating the fleet (${specs.length} tenants, ${opts.jobs} at a time)`);
    const waveId = `fleet-${opts.before ? 'before-' : ''}${Date.now()}`;
    const wave = await runWave({
      waveId,
      tenants: specs,
      options: { maxConcurrentTenants: opts.jobs, tableConcurrency: opts.jobs },
    }, opts.log, undefined, repo);
    const timings = [];
    const problems: string[] = [];
    for (const t of specs) {
      const tenant = await tenantResult(t.tenantId, waveId);
      if (tenant?.ok) timings.push(tenantTiming(tenant));
      const check = await verifyRowCounts(t.source.database, t.target.database);
      problems.push(...check.problems);
    }
    const summary = summarizeFleet(timings, specs.length, waveSucceeded(wave.result), wave.seconds);
    const detail = { fleet: summary, workers: wave.workers.map((w) => ({ role: w.role, peakRssMb: w.peakRssKb / 1024, startupRssMb: w.readyHwmKb / 1024, workRssMb: w.workRssKb / 1024 })) };
    const notes = [waveFailures(wave.result), memoryNote(wave.workers), problems.slice(0, 3).join('; ') || undefined,
      timings.length < specs.length ? `${specs.length - timings.length} tenant result(s) unreadable` : undefined];
    return {
      summary,
      result: {
        ...base,
        seconds: wave.seconds,
        machineCpuSeconds: wave.machineCpuSeconds ?? null,
        peakRssMb: wave.peak.peakRssKb / 1024,
        treeRssMb: wave.peak.treeRssKb / 1024,
        verified: problems.length === 0 && waveFailed(wave.result) === 0 && waveSucceeded(wave.result) === specs.length,
        note: notes.filter(Boolean).join('; ') || undefined,
        detail,
      },
    };
  } catch (err) {
    opts.log(`tmig fleet: failed: ${(err as Error).message}`);
    return { result: { ...base, note: `failed: ${(err as Error).message.split('\n')[0]}` } };
  } finally {
    if (!opts.keepTargets) for (const t of specs) await dropDatabase(t.target.database);
  }
}
