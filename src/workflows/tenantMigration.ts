import {
  ApplicationFailure, CancellationScope, condition, isCancellation, log, proxyActivities, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/common';
import type * as activities from '../activities';
import type { CopyWorkItem } from '../activities/planCopy';
import type { MigrationPhase, PhaseTiming, TableResult, TenantMigrationInput, TenantMigrationResult, TenantProgress, ThroughputSample, ValidationResult } from '../contract/migration';
import { pauseSignal, resumeSignal, tenantProgressQuery } from '../contract/signals';
import { MigrationPhaseKey } from '../contract/searchAttributes';
import { isoNow, workflowNow } from './clock';
import { resolveOptions } from './options';
import { describeFailures, runValidation } from './phases/validate';
import { permitWaitMs, withPermits } from './permits';
import { innermostMessage } from '../contract/innermostMessage';
import { describeBlocking, type AuditResult } from '../contract/auditResult';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 12 };

const light = proxyActivities<typeof activities>({
  taskQueue: 'migrations', startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry,
});

/** DDL: building indexes and constraints on large tables can take hours; activities heartbeat on a timer. */
const ddl = proxyActivities<typeof activities>({
  taskQueue: 'migrations', startToCloseTimeout: '12h', heartbeatTimeout: '2m', retry,
});

/** Copy slices: a pause waits until the activity has stopped cleanly between chunks. */
const slices = proxyActivities<typeof activities>({
  taskQueue: 'migrations-heavy', startToCloseTimeout: '30m', heartbeatTimeout: '20s', retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Restores can take hours: long timeout, progress heartbeats from the server's messages. */
const restore_ = proxyActivities<typeof activities>({
  taskQueue: 'migrations-heavy', startToCloseTimeout: '12h', heartbeatTimeout: '5m', retry: { ...retry, maximumAttempts: 4 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/**
 * Copy activities return after a time budget so progress stays current; the next call resumes.
 * The budget grows with the copy's age (20 s up to 2 min) so a copy of many hours stays well
 * inside history limits (a 10-hour copy with 4 parallel ranges is about 1,200 slices).
 */
function sliceBudgetMs(copyElapsedMs: number): number {
  return Math.min(120_000, Math.max(20_000, Math.round(copyElapsedMs / 10)));
}

/**
 * One tenant, end to end: prepare target → describe → schema (pre-data) → copy every table in
 * exactly-once chunks → post-data → validate → mark complete. Any failure marks the target
 * failed/incomplete; a later run resumes from the checkpoints stored in the target.
 */
export async function tenantMigration(input: TenantMigrationInput): Promise<TenantMigrationResult> {
  const opts = resolveOptions(input.options);
  const ref = { tenantId: input.tenantId, source: input.source, target: input.target, options: input.options, backup: input.backup };
  const phases: PhaseTiming[] = [];
  const throughput: ThroughputSample[] = [];
  const tableMs = new Map<string, number>();
  const progress: TenantProgress = {
    tenantId: input.tenantId, waveId: input.waveId, phase: 'pending', paused: false, tablesTotal: 0, tablesDone: 0,
    rowsCopied: 0, rowsTotal: 0, bytesCopied: 0, rowsPerSecond: 0, etaSeconds: null, permitsWaitedMs: 0, errors: [],
    startedAt: isoNow(),
  };
  let copyStartedAt: number | undefined;
  let audit: AuditResult | undefined;

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
  const untilResumed = () => condition(() => !progress.paused);

  const result = (ok: boolean, extra: Partial<TenantMigrationResult> = {}): TenantMigrationResult => ({
    tenantId: input.tenantId, ok, tables: [], phases, throughput, rowsCopied: progress.rowsCopied,
    bytesCopied: progress.bytesCopied, ...extra,
  });

  // One migration per target database at a time (two uploads of one tenant, two waves naming the
  // same target): a permit of limit 1 on the target; a run that never got it never touches the target.
  let ownsTarget = false;
  const migrate = async (): Promise<TenantMigrationResult> => {
    ownsTarget = true;
    enter('prepare');
    const outcome = await light.prepareTarget(ref);
    if (outcome === 'complete') {
      enter('done');
      return result(true, { alreadyComplete: true });
    }
    if (input.backup) {
      // Restore host pool: restores are the heaviest thing a SQL Server does.
      const backup = input.backup;
      const restore = async () => {
        enter('fetch');
        const staged = await restore_.stageBackup({ tenantId: input.tenantId, backup, sourceServer: input.source.server });
        await untilResumed();
        enter('restore');
        await restore_.restoreBackup(ref, { backupPath: staged.workerPath });
      };
      if (opts.throttle) await withPermits([{ pool: `restore-${input.source.server}` }], input.tenantId, restore, { onWaiting: () => enter('waiting-permit') });
      else await restore();
    }
    const described = await light.describeSource(ref);
    progress.tablesTotal = described.tables.length;

    if (opts.audit) {
      await untilResumed();
      enter('audit');
      audit = await light.auditTenantSource(ref);
      if (audit.blocked) {
        throw ApplicationFailure.create({ type: 'AuditBlocked', nonRetryable: true,
          message: `tenant ${input.tenantId}: audit found blocking problems: ${describeBlocking(audit)}` });
      }
    }

    await untilResumed();
    enter('schema');
    await ddl.createSchema(ref);

    // Heavy phases hold a permit of each server's pool (central throttling across all waves).
    const heavyPhases = async (): Promise<{ tables: TableResult[]; validation?: ValidationResult }> => {
      await untilResumed();
      enter('copy');
      const items = await light.planCopy(ref, { splitRowsThreshold: opts.splitRowsThreshold, rangesPerTable: opts.rangesPerTable });
      progress.rowsTotal = items.reduce((s, i) => s + Math.max(i.estimatedRows, i.rowsDone), 0);
      progress.rowsCopied = items.reduce((s, i) => s + i.rowsDone, 0);
      const tablesPending = new Map<string, number>();
      for (const it of items) if (!it.done) tablesPending.set(it.table, (tablesPending.get(it.table) ?? 0) + 1);
      progress.tablesDone = described.tables.length - tablesPending.size;
      copyStartedAt = workflowNow().getTime();
      const rowsAtCopyStart = progress.rowsCopied;

      const itemRows = new Map(items.map((i) => [`${i.table}#${i.rangeId}`, i.rowsDone]));
      const copyItem = async (item: CopyWorkItem) => {
        for (;;) {
          await untilResumed();
          // Pause cancels the running slice: its current chunk commits, then it stops (between chunks).
          const scope = new CancellationScope();
          runningSlices.add(scope);
          let r: activities.CopySliceResult;
          try {
            r = await scope.run(() => slices.copyTableSlice(ref, { table: item.table, rangeId: item.rangeId, chunkRows: opts.chunkRows, budgetMs: sliceBudgetMs(workflowNow().getTime() - copyStartedAt!) }));
          } catch (err) {
            if (isCancellation(err) && progress.paused && !CancellationScope.current().consideredCancelled) continue;
            throw err;
          } finally {
            runningSlices.delete(scope);
          }
          itemRows.set(`${item.table}#${item.rangeId}`, r.rowsDone);
          progress.rowsCopied = [...itemRows.values()].reduce((a, b) => a + b, 0);
          progress.bytesCopied += r.bytesThisCall;
          progress.rowsTotal = Math.max(progress.rowsTotal, progress.rowsCopied);
          tableMs.set(item.table, (tableMs.get(item.table) ?? 0) + r.ms);
          const elapsed = (workflowNow().getTime() - copyStartedAt!) / 1000;
          progress.rowsPerSecond = elapsed > 0 ? Math.round((progress.rowsCopied - rowsAtCopyStart) / elapsed) : 0;
          progress.etaSeconds = progress.rowsPerSecond > 0 ? Math.round((progress.rowsTotal - progress.rowsCopied) / progress.rowsPerSecond) : null;
          throughput.push({ at: isoNow(), rows: progress.rowsCopied, bytes: progress.bytesCopied });
          if (r.done) break;
        }
        const left = (tablesPending.get(item.table) ?? 1) - 1;
        tablesPending.set(item.table, left);
        if (left === 0) progress.tablesDone++;
      };
      // Largest first: the long tables start early and the small ones fill the gaps.
      const queue = items.filter((i) => !i.done).sort((a, b) => b.estimatedRows - a.estimatedRows);
      await Promise.all(Array.from({ length: opts.tableConcurrency }, async () => {
        for (let item = queue.shift(); item; item = queue.shift()) await copyItem(item);
      }));

      await untilResumed();
      enter('post-data');
      await ddl.applyPostData(ref, opts.postDataParallelism);

      let validation: ValidationResult | undefined;
      let tables: TableResult[] = [];
      if (opts.validation !== 'none') {
        await untilResumed();
        enter('validate');
        validation = await runValidation(ref, {
          tables: described.tables.map((t) => ({ ...t, rangeIds: items.filter((i) => i.table === t.table).map((i) => i.rangeId) })),
          mode: opts.validation, recheckSource: opts.recheckSource, sampleRate: opts.sampleRate,
          concurrency: opts.tableConcurrency, copyMs: tableMs,
        });
        tables = validation.tables;
        if (!validation.ok) {
          throw ApplicationFailure.create({
            type: 'ValidationMismatch', nonRetryable: true, details: [validation],
            message: `tenant ${input.tenantId}: validation failed: ${describeFailures(validation)}`,
          });
        }
      }
      return { tables, validation };
    };
    const pools = [...new Set([input.source.server, input.target.server])].map((pool) => ({ pool }));
    const { tables, validation } = opts.throttle
      ? await withPermits(pools, input.tenantId, heavyPhases, {
        onWaiting: () => enter('waiting-permit'),
        onGranted: () => { progress.permitsWaitedMs = permitWaitMs(); },
      })
      : await heavyPhases();

    enter('report');
    const final = result(true, { tables, validation });
    final.reportPath = (await light.reportTenant({ ...ref, waveId: input.waveId }, final, audit)).htmlPath;
    enter('cleanup');
    await light.markTargetComplete(ref);
    if (input.backup && !input.options?.keepArtifacts) {
      await light.dropRestoredSource(ref);
      await light.cleanupWorkDir({ tenantId: input.tenantId, ok: true, sourceServer: input.source.server });
    }
    enter('done');
    return final;
  };

  try {
    return opts.throttle
      ? await withPermits([{ pool: targetLockPool(input.target), defaultLimit: 1 }], input.tenantId, migrate, { onWaiting: () => enter('waiting-permit') })
      : await migrate();
  } catch (err) {
    const cancelled = isCancellation(err);
    const message = innermostMessage(err);
    progress.lastError = message;
    progress.errors.push(message);
    // Nothing half-done may look done: mark the target failed even when the workflow is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      if (!ownsTarget) return;
      try {
        await light.markTargetFailed(ref, cancelled ? 'cancelled by operator' : message);
      } catch (markErr) {
        log.warn('could not mark target failed', { error: innermostMessage(markErr) });
      }
    });
    if (input.backup) {
      // Kept (size-limited) for diagnosis.
      await CancellationScope.nonCancellable(() => light.cleanupWorkDir({ tenantId: input.tenantId, ok: false }).then(() => undefined, () => undefined));
    }
    enter(cancelled ? 'cancelled' : 'failed');
    const failed = result(false, { error: { type: cancelled ? 'Cancelled' : failureType(err), message }, validation: validationOf(err) });
    await CancellationScope.nonCancellable(async () => {
      try {
        failed.reportPath = (await light.reportTenant({ ...ref, waveId: input.waveId }, failed, audit)).htmlPath;
      } catch (reportErr) {
        log.warn('could not write the failure report', { error: innermostMessage(reportErr) });
      }
    });
    if (cancelled) throw err;
    throw ApplicationFailure.create({
      type: failureType(err), nonRetryable: true, message: `tenant ${input.tenantId} (${workflowInfo().workflowId}): ${message}`,
      details: [failed],
    });
  }
}

/** The validation result a ValidationMismatch failure carries, for the failure report. */
function validationOf(err: unknown): ValidationResult | undefined {
  const details = (err as { details?: unknown[] })?.details;
  const v = details?.[0] as ValidationResult | undefined;
  return v && typeof v === 'object' && 'findings' in v ? v : undefined;
}

/** Governor pool that serializes migrations into one target database (pool names: letters, digits, _ . -). */
export function targetLockPool(target: { server: string; database: string }): string {
  const raw = `${target.server}.${target.database}`;
  const safe = raw.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (safe === raw) return `target.${safe}`;
  // Different names must not collapse into one pool: add a deterministic hash of the original.
  let h = 0;
  for (const ch of raw) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return `target.${safe}.${h.toString(36)}`;
}

function failureType(err: unknown): string {
  let e = err as { type?: string; cause?: unknown } | undefined;
  let type: string | undefined;
  while (e) {
    if (e.type) type = e.type;
    e = e.cause as typeof e;
  }
  return type ?? 'MigrationFailed';
}
