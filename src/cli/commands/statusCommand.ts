import type { Command } from 'commander';
import { innermostMessage } from '../../contract/innermostMessage';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Client } from '@temporalio/client';
import type { MigrationWaveResult, TenantMigrationResult, TenantProgress, WaveProgress } from '../../contract/migration';
import type { WaveCutoverProgress } from '../../contract/online';
import {
  CliError, EXIT_CODES_HELP, ExitCode, out, outJson, parsePositiveInt, resolveMigrationWorkflow, usageExitCodes, withClient, type RunRef,
} from '../operator';
import { describeWait, governorStates } from '../permitWaits';
import { waveOfTenantWorkflow } from '../../contract/runIdentity';

/** What `status --json` prints: the workflow's own `progress` query, plus the running tenants' queries. */
export interface StatusReport {
  workflowId: string;
  runId: string;
  type: string;
  /** Temporal execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, ... */
  status: string;
  /** The `progress` query of the workflow, unchanged (WaveProgress or TenantProgress). */
  progress?: WaveProgress | TenantProgress;
  /** For a wave: `progress` of each running tenant workflow, by tenant id (queried one by one). */
  tenants?: Record<string, TenantProgress>;
  /** For a closed workflow whose progress could not be queried: its result (or failure message). */
  result?: MigrationWaveResult | TenantMigrationResult;
  error?: string;
  /** Whether this status means the migration failed (exit code 4). */
  failed: boolean;
  /** For tenants waiting for a permit: `waiting <pool> 3/3 (holders: ...)`, by pool. */
  waits?: Record<string, string>;
  /** For a tenant: its earlier runs (other waves, reruns), newest first. */
  earlierRuns?: RunRef[];
  /** When the workflow (chain) started; the wave's elapsed time and ETA count from it. */
  startTime?: string;
}

const TENANT_QUERY_CONCURRENCY = 8;

export async function collectStatus(client: Client, ref: string): Promise<StatusReport> {
  const { workflowId, description, earlierRuns } = await resolveMigrationWorkflow(client, ref);
  const handle = client.workflow.getHandle(workflowId, description.runId);
  const report: StatusReport = {
    workflowId, runId: description.runId, type: description.type, status: description.status.name, failed: false,
    startTime: description.startTime.toISOString(), ...(earlierRuns?.length ? { earlierRuns } : {}),
  };
  try {
    report.progress = await handle.query<WaveProgress | TenantProgress>('progress');
  } catch (err) {
    if (report.status === 'RUNNING') throw new CliError(`query progress of ${workflowId}: ${(err as Error).message}`);
  }
  if (report.progress && isWave(report.progress)) {
    report.tenants = await queryTenants(client, report.progress.running);
  }
  if (report.status === 'COMPLETED' && !report.progress) {
    report.result = await handle.result();
  } else if (report.status !== 'RUNNING' && report.status !== 'COMPLETED' && report.status !== 'CONTINUED_AS_NEW') {
    report.error = await handle.result().then(() => undefined, (err: Error) => innermostMessage(err));
  }
  const waitingPools = tenantRows(report).filter((p) => p.phase === 'waiting-permit' && p.waitingFor).map((p) => p.waitingFor!);
  if (waitingPools.length) {
    const states = await governorStates(client, waitingPools);
    report.waits = Object.fromEntries([...states].map(([pool, st]) => [pool, describeWait(pool, st)]));
  }
  report.failed = isFailed(report);
  return report;
}

function isWave(p: WaveProgress | TenantProgress): p is WaveProgress {
  return Array.isArray((p as WaveProgress).running);
}

function isFailed(r: StatusReport): boolean {
  if (['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED'].includes(r.status)) return true;
  if (r.status !== 'COMPLETED') return false;
  if (r.progress) return isWave(r.progress) ? (r.progress.counts?.failed ?? r.progress.failed.length) > 0 : r.progress.phase === 'failed';
  const res = r.result as { failed?: unknown[]; ok?: boolean; counts?: { failed: number } } | undefined;
  return (res?.counts?.failed ?? res?.failed?.length ?? 0) > 0 || res?.ok === false;
}

async function queryTenants(client: Client, workflowIds: string[]): Promise<Record<string, TenantProgress>> {
  const tenants: Record<string, TenantProgress> = {};
  const queue = [...workflowIds];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      // A tenant may finish between the wave query and this one: skip it, the wave counts it.
      const p = await client.workflow.getHandle(id).query<TenantProgress>('progress').catch(() => undefined);
      if (p) tenants[p.tenantId] = p;
    }
  };
  await Promise.all(Array.from({ length: Math.min(TENANT_QUERY_CONCURRENCY, queue.length) }, worker));
  return tenants;
}


// ---------- rendering ----------

/** Online waves: the wave cutover (running or not, batch, in flight) and each tenant's outcome. */
export function waveCutoverLines(c: WaveCutoverProgress): string[] {
  const head = c.active
    ? `cutover: running (${c.by === 'schedule' ? 'scheduled' : 'signalled'}), ${c.batch} at a time${c.inFlight.length ? `, now: ${c.inFlight.join(', ')}` : ''}`
    : `cutover: ${c.scheduledAt ? `scheduled at ${c.scheduledAt}` : 'not running'}`;
  return [`${head}  ok ${c.ok}  failed ${c.failed}`, ...c.outcomes.map((o) => `  ${o.ok ? 'cut over' : 'FAILED'} ${o.tenantId}: write-blocked ${(o.writeBlockedMs / 1000).toFixed(1)}s`
    + (o.ok ? '' : `${o.failedStep ? ` at step ${o.failedStep}` : ''}${o.error ? `: ${o.error}` : ''}`))];
}

/** Online tenants: the stream's lag, apply rate and last applied commit, on one line. */
export function cdcSummary(c: NonNullable<TenantProgress['cdc']>): string {
  return `${c.direction === 'reverse' ? 'reverse ' : ''}${c.state}: lag ${fmtNum(c.lagBytes)} B / ${c.lagSeconds}s  ${fmtNum(c.appliedPerSecond)} changes/s  ` +
    `applied ${fmtNum(c.changesApplied)}  last commit ${c.lastAppliedCommitTime ?? '-'}  WAL held ${fmtNum(c.retainedWalBytes)} B`;
}

function fmtNum(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

function fmtEta(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '-';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

function tenantLine(p: TenantProgress, waits: Record<string, string> = {}): { value: number; total: number; payload: Record<string, string> } {
  const total = p.rowsTotal > 0 ? p.rowsTotal : Math.max(1, p.tablesTotal);
  const value = p.rowsTotal > 0 ? Math.min(p.rowsCopied, p.rowsTotal) : p.tablesDone;
  // No rate or ETA while paused: nothing moves. A paused tenant keeps the permits it holds.
  const pace = p.paused ? '  paused: keeps its permits until resumed or cancelled'
    : p.phase === 'copy' ? `  ${fmtNum(Math.round(p.rowsPerSecond))} rows/s  ETA ${fmtEta(p.etaSeconds)}` : '';
  const waiting = p.phase === 'waiting-permit' && p.waitingFor ? `  ${waits[p.waitingFor] ?? `waiting ${p.waitingFor}`}` : '';
  return {
    value, total,
    payload: {
      name: p.tenantId.slice(0, 20).padEnd(20),
      phase: (p.paused ? 'paused' : p.phase).padEnd(14),
      detail: `tables ${p.tablesDone}/${p.tablesTotal}  rows ${fmtNum(p.rowsCopied)}/${fmtNum(p.rowsTotal)}${pace}${waiting}`
        + (p.cdc ? `  ${cdcSummary(p.cdc)}` : '')
        + (p.permitsWaitedMs ? `  waited ${Math.round(p.permitsWaitedMs / 1000)}s for permits` : '')
        + (p.lastError ? `  error: ${p.lastError.slice(0, 80)}` : ''),
    },
  };
}

/** Elapsed since the wave started and, from the pace so far, an ETA (none while paused or before the first tenant ends). */
export function waveTiming(w: WaveProgress, startTime: string | undefined, now = Date.now()): { elapsedS: number | null; etaS: number | null } {
  const started = Date.parse(w.startedAt ?? startTime ?? '');
  if (!Number.isFinite(started)) return { elapsedS: null, etaS: null };
  const elapsedS = Math.max(0, (now - started) / 1000);
  const done = waveDone(w);
  const etaS = !w.paused && done > 0 && done < w.total ? (elapsedS / done) * (w.total - done) : null;
  return { elapsedS, etaS };
}

function waveDone(w: WaveProgress): number {
  return w.counts ? w.counts.succeeded + w.counts.alreadyComplete + w.counts.failed + w.counts.skipped : w.succeeded + w.failed.length;
}

function waveLine(w: WaveProgress, startTime?: string): { value: number; total: number; payload: Record<string, string> } {
  const done = waveDone(w);
  const c = w.counts;
  const { elapsedS, etaS } = waveTiming(w, startTime);
  return {
    value: done, total: Math.max(1, w.total),
    payload: {
      name: `wave ${w.waveId}`.slice(0, 20).padEnd(20),
      phase: (w.paused ? 'PAUSED' : done === w.total ? 'finished' : 'running').padEnd(14),
      detail: `tenants ${done}/${w.total}  ok ${c ? c.succeeded : w.succeeded}${c ? `  already complete ${c.alreadyComplete}` : ''}`
        + `  failed ${c ? c.failed : w.failed.length}${c?.skipped ? `  skipped ${c.skipped}` : ''}  running ${w.running.length}  pending ${w.pending}`
        + `  rows ${fmtNum(w.rowsCopied)}  elapsed ${fmtEta(elapsedS)}  ETA ${w.paused ? '- (paused)' : fmtEta(etaS)}`,
    },
  };
}

/** All tenants worth a bar: the wave's own per-tenant map, overlaid with live tenant queries. */
function tenantRows(r: StatusReport): TenantProgress[] {
  return tenantRowsOf(r);
}

function tenantRowsOf(r: StatusReport): TenantProgress[] {
  if (!r.progress) return [];
  if (!isWave(r.progress)) return [r.progress];
  return Object.values({ ...r.progress.tenants, ...r.tenants }).sort((a, b) => a.tenantId.localeCompare(b.tenantId));
}

function asciiBar(value: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.round((Math.min(value, total) / total) * width) : 0;
  return '#'.repeat(filled) + '-'.repeat(width - filled);
}

/** One-shot (or non-TTY) rendering: plain lines, friendly to logs and pipes. */
export function renderStatusText(r: StatusReport): string {
  const lines = [`${r.type} ${r.workflowId}  ${r.status}`];
  if (r.progress && isWave(r.progress)) {
    const w = waveLine(r.progress, r.startTime);
    lines.push(`${w.payload.name} [${asciiBar(w.value, w.total)}] ${w.payload.phase} ${w.payload.detail}`);
  }
  for (const p of tenantRows(r)) {
    const t = tenantLine(p, r.waits);
    lines.push(`${t.payload.name} [${asciiBar(t.value, t.total)}] ${t.payload.phase} ${t.payload.detail}`);
  }
  if (r.progress && isWave(r.progress)) {
    for (const f of r.progress.failed) lines.push(`  FAILED ${f.tenantId}: ${f.error ?? ''}`);
    if (r.progress.cutover) lines.push(...waveCutoverLines(r.progress.cutover));
  }
  if (r.result && 'failed' in r.result) {
    lines.push(`result: ${r.result.succeeded.length} succeeded, ${r.result.failed.length} failed`);
    for (const f of r.result.failed) lines.push(`  FAILED ${f.tenantId}: ${f.error ?? ''}`);
  }
  if (r.error) lines.push(`error: ${r.error}`);
  if (r.earlierRuns?.length) {
    lines.push(`earlier runs of this tenant (${r.earlierRuns.length}):`);
    for (const e of r.earlierRuns.slice(0, 10)) {
      const wave = waveOfTenantWorkflow(e.workflowId);
      lines.push(`  ${e.startTime}  ${e.status.padEnd(10)} ${e.workflowId}${wave ? ` (wave ${wave})` : ''}`);
    }
    if (r.earlierRuns.length > 10) lines.push(`  ... ${r.earlierRuns.length - 10} more: temporal workflow list --query 'TenantId="${tenantIdOf(r)}"'`);
  }
  return lines.join('\n');
}

function tenantIdOf(r: StatusReport): string {
  return r.progress && !isWave(r.progress) ? r.progress.tenantId : r.workflowId;
}

/** Live bars (TTY): one per tenant plus the wave total, refreshed until the workflow closes. */
async function watchWithBars(client: Client, ref: string, intervalMs: number): Promise<StatusReport> {
  const multibar = new MultiBar({
    format: '{name} |{bar}| {percentage}% {phase} {detail}', hideCursor: true, clearOnComplete: false,
    stopOnComplete: false, barsize: 16, autopadding: true,
  }, Presets.shades_classic);
  const bars = new Map<string, SingleBar>();
  // Ctrl-C: put the cursor back before leaving.
  const onInterrupt = () => {
    multibar.stop();
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  const show = (key: string, line: { value: number; total: number; payload: Record<string, string> }) => {
    const bar = bars.get(key);
    if (bar) {
      bar.setTotal(line.total);
      bar.update(line.value, line.payload);
    } else {
      bars.set(key, multibar.create(line.total, line.value, line.payload));
    }
  };
  try {
    for (;;) {
      const r = await collectStatus(client, ref);
      if (r.progress && isWave(r.progress)) show('\u0000wave', waveLine(r.progress, r.startTime));
      for (const p of tenantRows(r)) show(p.tenantId, tenantLine(p, r.waits));
      if (r.status !== 'RUNNING') return r;
      await new Promise((res) => setTimeout(res, intervalMs));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    multibar.stop();
  }
}

export function registerStatus(program: Command): void {
  usageExitCodes(program.command('status'))
    .description('Show the progress of a wave (bars per tenant and totals) or of one tenant')
    .argument('<target>', 'wave id, tenant id, or workflow id (wave-<id>, tenant-<id>)')
    .option('--json', 'print the progress query (and the running tenants\' queries) as JSON')
    .option('--watch', 'refresh until the workflow closes (default on a terminal without --json)')
    .option('--once', 'print one snapshot, even on a terminal')
    .option('--interval <seconds>', 'refresh interval with --watch', '2')
    .addHelpText('after', `
Examples:
  $ tmig status nightly-2026-11-21             # on a terminal: live bars per tenant + wave total until it finishes
  $ tmig status nightly-2026-11-21 --once      # one snapshot (also what pipes and scripts get)
  $ tmig status nightly-2026-11-21 --watch | tee log   # refreshing text even when not a terminal
  $ tmig status tenant-hotel123 --json         # the tenant's progress query as JSON
  $ tmig status nightly --json | jq '.progress.failed'
  $ temporal workflow query --workflow-id wave-nightly --name progress   # stock CLI

JSON shape: { workflowId, runId, type, status, progress, tenants, result?, error?, failed }
  progress = the workflow's "progress" query unchanged; tenants = "progress" of each running tenant.
With --watch and --json, one JSON document per line (NDJSON) each refresh.
Exit code 4 when the workflow finished failed/cancelled/terminated or the wave has failed tenants.
${EXIT_CODES_HELP}`)
    .action(async (target: string, opts: { json?: boolean; watch?: boolean; once?: boolean; interval: string }, cmd: Command) => {
      const intervalMs = parsePositiveInt(opts.interval, '--interval', 1) * 1000;
      if (opts.watch && opts.once) throw new CliError('--watch and --once exclude each other', ExitCode.Usage);
      const watch = opts.watch || (!opts.once && !opts.json && process.stdout.isTTY === true);
      const final = await withClient(cmd, async (client) => {
        if (!watch) {
          const r = await collectStatus(client, target);
          if (opts.json) outJson(r);
          else out(renderStatusText(r));
          return r;
        }
        if (!opts.json && process.stdout.isTTY) {
          const r = await watchWithBars(client, target, intervalMs);
          out(`${r.type} ${r.workflowId}: ${r.status}${r.failed ? ' (failed)' : ''}`);
          return r;
        }
        for (;;) {
          const r = await collectStatus(client, target);
          out(opts.json ? JSON.stringify(r) : `${renderStatusText(r)}\n`);
          if (r.status !== 'RUNNING') return r;
          await new Promise((res) => setTimeout(res, intervalMs));
        }
      });
      if (final.failed) process.exitCode = ExitCode.MigrationFailed;
    });
}
