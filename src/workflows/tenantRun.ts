/**
 * The state one tenantMigration run shares between its phases: resolved options, the tenant
 * reference, progress (answered by the `progress` query), phase timings, throughput, and the
 * pause/resume handlers. Created once per run by the runner.
 */
import type { CancellationScope} from '@temporalio/workflow';
import { condition, getExternalWorkflowHandle, log, patched, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AuditResult } from '../contract/auditResult';
import type { PhaseTiming, TenantMigrationInput, TenantMigrationResult, TenantProgress, ThroughputSample } from '../contract/migration';
import type { MigrationPhase } from '../contract/phases';
import type { TenantRef } from '../contract/tenantRef';
import { pauseSignal, resumeSignal, tenantProgressQuery, tenantProgressSignal } from '../contract/signals';
import { MigrationPhaseKey } from '../contract/searchAttributes';
import { isoNow } from './clock';
import { resolveOptions } from './options';
import { permitsAwaited, permitWaitMs } from './permits';
import { tenantCurrentDetails, tenantResultMemo } from './uiMetadata';

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
  /**
   * Which cancellations were pauses, per scope: a resume that arrives before the cancelled slice has
   * stopped must not turn that pause into a failure (the paused flag would be false by then).
   */
  pausedScopes: WeakSet<CancellationScope>;
  audit?: AuditResult;
  /** The tenant report, once written (shown in the UI's current details and the memo). */
  reportPath?: string;
  /** `server/database` of the source and the target, for activity summaries in the UI. */
  sourceName: string;
  targetName: string;
  /** Refreshes the Temporal UI's current details (live text, no history event). */
  showDetails(): void;
  /** Writes the end-of-run memo (size, report); behind a patch so older histories replay. */
  resultMemo(): void;
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
  const pausedScopes = new WeakSet<CancellationScope>();
  const snapshot = (): TenantProgress => {
    const waitingFor = progress.phase === 'waiting-permit' ? permitsAwaited()[0] : undefined;
    return {
      ...progress, permitsWaitedMs: permitWaitMs(), activeCopies: runningSlices.size,
      // Nothing moves while paused: no rate, no ETA.
      ...(progress.paused ? { rowsPerSecond: 0, etaSeconds: null } : {}),
      ...(waitingFor ? { waitingFor } : {}),
    };
  };
  setHandler(tenantProgressQuery, snapshot);
  // Phase changes are reported to the wave (one signal per phase: bounded), for its progress query.
  const parent = workflowInfo().parent;
  const reportToWave = parent && input.waveId && patched('tenant-progress-to-wave');
  const tellWave = () => {
    if (!reportToWave) return;
    const p = snapshot();
    void getExternalWorkflowHandle(parent.workflowId).signal(tenantProgressSignal, { ...p, errors: p.errors.slice(-3) })
      .catch((err) => log.warn('could not report progress to the wave', { error: String(err) }));
  };
  setHandler(pauseSignal, () => {
    progress.paused = true;
    for (const scope of runningSlices) {
      pausedScopes.add(scope);
      scope.cancel();
    }
  });
  setHandler(resumeSignal, () => { progress.paused = false; });

  // Declared before use by enter(); reads run.reportPath through the returned object.
  const showDetails = () => setCurrentDetails(tenantCurrentDetails(progress, run.reportPath));
  const enter = (phase: MigrationPhase) => {
    const now = isoNow();
    const open = phases[phases.length - 1];
    if (open && !open.endedAt && open.phase === phase) return; // e.g. waiting for a second pool's permit
    if (open && !open.endedAt) {
      open.endedAt = now;
      open.ms = Date.parse(now) - Date.parse(open.startedAt);
    }
    progress.phase = phase;
    showDetails();
    if (phase !== 'done' && phase !== 'failed' && phase !== 'cancelled') phases.push({ phase, startedAt: now });
    try {
      upsertSearchAttributes([{ key: MigrationPhaseKey, value: phase }]);
    } catch (err) {
      log.warn('MigrationPhase search attribute not registered on this namespace', { error: String(err) });
    }
    if (phase !== 'done' && phase !== 'failed' && phase !== 'cancelled') tellWave();
  };
  const run: TenantRun = {
    input, opts, ref, progress, phases, throughput, tableMs: new Map(), runningSlices, pausedScopes, enter, showDetails,
    sourceName: `${input.source.server}/${input.source.database}`,
    targetName: `${input.target.server}/${input.target.database}`,
    resultMemo: () => {
      if (patched('ui-result-memo')) upsertMemo(tenantResultMemo(progress, run.reportPath));
    },
    untilResumed: () => condition(() => !progress.paused),
    result: (ok, extra = {}) => ({
      tenantId: input.tenantId, ok, tables: [], phases, throughput, rowsCopied: progress.rowsCopied,
      bytesCopied: progress.bytesCopied, ...extra,
    }),
  };
  return run;
}
