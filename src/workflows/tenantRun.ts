/**
 * The state one tenantMigration run shares between its phases: resolved options, the tenant
 * reference, progress (answered by the `progress` query), phase timings, throughput, and the
 * pause/resume handlers. Created once per run by the runner.
 */
import type { CancellationScope} from '@temporalio/workflow';
import { condition, log, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { AuditResult } from '../contract/auditResult';
import type { PhaseTiming, TenantMigrationInput, TenantMigrationResult, TenantProgress, ThroughputSample } from '../contract/migration';
import type { MigrationPhase } from '../contract/phases';
import type { TenantRef } from '../contract/tenantRef';
import { pauseSignal, resumeSignal, tenantProgressQuery } from '../contract/signals';
import { MigrationPhaseKey } from '../contract/searchAttributes';
import { isoNow } from './clock';
import { resolveOptions } from './options';
import { permitWaitMs } from './permits';

export interface TenantRun {
  input: TenantMigrationInput;
  opts: ReturnType<typeof resolveOptions>;
  ref: TenantRef;
  progress: TenantProgress;
  phases: PhaseTiming[];
  throughput: ThroughputSample[];
  /** Copy time per table, for the result. */
  tableMs: Map<string, number>;
  /** Copy activities running now (a pause cancels them between chunks). */
  runningSlices: Set<CancellationScope>;
  audit?: AuditResult;
  /** Enters a phase: times the previous one, sets progress and the MigrationPhase search attribute. */
  enter(phase: MigrationPhase): void;
  /** Resolves once the tenant is not paused. */
  untilResumed(): Promise<void>;
  result(ok: boolean, extra?: Partial<TenantMigrationResult>): TenantMigrationResult;
}

export function startTenantRun(input: TenantMigrationInput): TenantRun {
  const opts = resolveOptions(input.options);
  const ref = { tenantId: input.tenantId, source: input.source, target: input.target, options: input.options, backup: input.backup };
  const phases: PhaseTiming[] = [];
  const throughput: ThroughputSample[] = [];
  const progress: TenantProgress = {
    tenantId: input.tenantId, waveId: input.waveId, phase: 'pending', paused: false, tablesTotal: 0, tablesDone: 0,
    rowsCopied: 0, rowsTotal: 0, bytesCopied: 0, rowsPerSecond: 0, etaSeconds: null, permitsWaitedMs: 0, errors: [],
    startedAt: isoNow(),
  };
  const runningSlices = new Set<CancellationScope>();
  setHandler(tenantProgressQuery, () => ({ ...progress, permitsWaitedMs: permitWaitMs(), activeCopies: runningSlices.size }));
  setHandler(pauseSignal, () => {
    progress.paused = true;
    for (const scope of runningSlices) scope.cancel();
  });
  setHandler(resumeSignal, () => { progress.paused = false; });

  const enter = (phase: MigrationPhase) => {
    const now = isoNow();
    const open = phases[phases.length - 1];
    if (open && !open.endedAt && open.phase === phase) return; // e.g. waiting for a second pool's permit
    if (open && !open.endedAt) {
      open.endedAt = now;
      open.ms = Date.parse(now) - Date.parse(open.startedAt);
    }
    progress.phase = phase;
    if (phase !== 'done' && phase !== 'failed' && phase !== 'cancelled') phases.push({ phase, startedAt: now });
    try {
      upsertSearchAttributes([{ key: MigrationPhaseKey, value: phase }]);
    } catch (err) {
      log.warn('MigrationPhase search attribute not registered on this namespace', { error: String(err) });
    }
  };
  return {
    input, opts, ref, progress, phases, throughput, tableMs: new Map(), runningSlices, enter,
    untilResumed: () => condition(() => !progress.paused),
    result: (ok, extra = {}) => ({
      tenantId: input.tenantId, ok, tables: [], phases, throughput, rowsCopied: progress.rowsCopied,
      bytesCopied: progress.bytesCopied, ...extra,
    }),
  };
}
