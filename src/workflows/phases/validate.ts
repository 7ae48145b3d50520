import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/common';
import type * as activities from '../../activities';
import type { TableValidation } from '../../activities/validateTables';
import type { TenantRef } from '../../contract/tenantRef';
import type { TableResult, ValidationFinding, ValidationResult } from '../../contract/migration';
import { FailureType } from '../../contract/failures';
import { HEAVY_TASK_QUEUE } from '../../contract/names';
import type { CopyWorkItem } from '../../activities/planCopy';
import type { DescribeResult } from '../../activities/prepareTarget';
import type { TenantRun } from '../tenantRun';
import { quick } from '../activityStubs';
import { parallelBatches } from './copy';
import { rangeSummary, summary } from '../uiMetadata';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 12 };
// Waits for a cancelled validation to stop, so a released permit really means the pool is free.
const heavy = proxyActivities<typeof activities>({
  taskQueue: HEAVY_TASK_QUEUE, startToCloseTimeout: '2h', heartbeatTimeout: '1m', retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Tables under this many rows are validated in batches. */
const SMALL_TABLE_ROWS = 100_000;

export interface ValidationPlan {
  /** Tables, with their key ranges when the copy split them (validated in parallel, range by range). */
  tables: { table: string; estimatedRows?: number; rangeIds?: number[] }[];
  mode: 'full' | 'sample';
  sampleRate: number;
  recheckSource?: boolean;
  /** Re-read chunks cold from the target instead of the copy-time read-back and the xmin census. */
  recheck?: boolean;
  concurrency: number;
  /** Copy time per table, for the result (validation alone has none). */
  copyMs?: Map<string, number>;
}

/**
 * Phase `validate` of a tenant (unless `validation: none`): every table's counts and chunk
 * checksums, range by range, then structural integrity. A mismatch fails the tenant (ValidationMismatch).
 */
export async function validate(run: TenantRun, described: DescribeResult, items: CopyWorkItem[]): Promise<{ tables: TableResult[]; validation?: ValidationResult }> {
  const { opts } = run;
  let validation: ValidationResult | undefined;
  let tables: TableResult[] = [];
  if (opts.validation !== 'none') {
    await run.untilResumed();
    run.enter('validate');
    validation = await runValidation(run.ref, {
      tables: described.tables.map((t) => ({ ...t, rangeIds: items.filter((i) => i.table === t.table).map((i) => i.rangeId) })),
      mode: opts.validation, recheckSource: opts.recheckSource, recheck: opts.recheck, sampleRate: opts.sampleRate,
      concurrency: opts.tableConcurrency, copyMs: run.tableMs,
    });
    tables = validation.tables;
    if (!validation.ok) {
      throw ApplicationFailure.create({
        type: FailureType.ValidationMismatch, nonRetryable: true, details: [validation],
        message: `tenant ${run.input.tenantId}: validation failed: ${describeFailures(validation)}`,
      });
    }
  }
  return { tables, validation };
}

/**
 * The checks of the validation phase, shared by tenantMigration and validateMigration: per-table counts and
 * chunk checksums re-read from both sides, then the target's structural integrity.
 */
export async function runValidation(ref: TenantRef, plan: ValidationPlan): Promise<ValidationResult> {
  const results: TableValidation[] = [];
  type Job = { tables: string[] } | { table: string; rangeId: number; ranges: number };
  const jobs: Job[] = [];
  const small: string[] = [];
  for (const t of plan.tables) {
    if ((t.rangeIds?.length ?? 0) > 1) jobs.push(...t.rangeIds!.map((rangeId) => ({ table: t.table, rangeId, ranges: t.rangeIds!.length })));
    else if ((t.estimatedRows ?? 0) >= SMALL_TABLE_ROWS) jobs.push({ tables: [t.table] });
    else small.push(t.table);
  }
  // Small tables (or unknown sizes) go in batches: one round trip instead of one per table. With
  // known sizes (patched: histories from before always made `concurrency` batches), only as many
  // batches as the copy makes (parallelBatches): a tiny tenant validates in one call.
  const smallSet = new Set(small);
  const smallRows = plan.tables.filter((t) => smallSet.has(t.table)).map((t) => t.estimatedRows);
  const byRows = small.length > 0 && smallRows.every((n) => typeof n === 'number') && patched('small-tables-batched-by-rows');
  const perBatch = Math.max(1, Math.ceil(small.length / smallBatchCount(smallRows, plan.concurrency, byRows)));
  for (let i = 0; i < small.length; i += perBatch) jobs.push({ tables: small.slice(i, i + perBatch) });
  const ranged = new Map<string, TableValidation[]>();
  await Promise.all(Array.from({ length: plan.concurrency }, async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      if ('tables' in job) {
        const what = job.tables.length === 1 ? `validate ${job.tables[0]}` : `validate ${job.tables.length} tables (${job.tables[0]} ... ${job.tables[job.tables.length - 1]})`;
        results.push(...await heavy.validateTables.executeWithOptions(summary(what),
          [ref, { tables: job.tables, mode: plan.mode, sampleRate: plan.sampleRate, recheckSource: plan.recheckSource, ...(plan.recheck ? { recheck: true } : {}) }]));
      } else {
        const r = await heavy.validateTable.executeWithOptions(summary(rangeSummary('validate', job.table, job.rangeId, job.ranges)),
          [ref, { table: job.table, rangeId: job.rangeId, mode: plan.mode, sampleRate: plan.sampleRate, recheckSource: plan.recheckSource, ...(plan.recheck ? { recheck: true } : {}) }]);
        ranged.set(job.table, [...(ranged.get(job.table) ?? []), r]);
      }
    }
  }));
  for (const parts of ranged.values()) results.push(mergeRanges(parts));
  results.sort((a, b) => a.table.localeCompare(b.table));
  const tables: TableResult[] = results.map(({ mismatches: _m, ...t }) => ({ ...t, copyMs: plan.copyMs?.get(t.table) ?? 0 }));
  const integrity = await quick().checkTenantIntegrity.executeWithOptions(summary('check keys, foreign keys, types, sequences'), [ref]);
  const failed: ValidationFinding[] = [
    ...results.flatMap((r) => r.mismatches.map((m) => ({ check: 'chunks', table: r.table, ok: false, message: `${r.table}: ${m}` }))),
    ...integrity.filter((f) => !f.ok),
  ];
  return { mode: plan.mode, ok: failed.length === 0, tables, findings: [...failed, ...integrity.filter((f) => f.ok)] };
}

/** Batches for the small tables: `concurrency`, or with `byRows` the copy's rule (parallelBatches). */
export function smallBatchCount(estimatedRows: (number | undefined)[], concurrency: number, byRows: boolean): number {
  return byRows ? parallelBatches(estimatedRows.reduce<number>((a, n) => a + Math.max(1, n ?? 1), 0), concurrency) : concurrency;
}

/** One table's result from its ranges' results. */
function mergeRanges(parts: TableValidation[]): TableValidation {
  const sum = (f: (p: TableValidation) => number) => parts.reduce((s, p) => s + f(p), 0);
  return {
    ...parts[0],
    sourceRows: sum((p) => p.sourceRows), targetRows: sum((p) => p.targetRows), chunks: sum((p) => p.chunks),
    bytes: sum((p) => p.bytes), ranges: parts.length, chunksVerified: sum((p) => p.chunksVerified),
    sourceChunksReread: sum((p) => p.sourceChunksReread ?? 0),
    targetChunksReread: parts.some((p) => p.targetChunksReread !== undefined) ? sum((p) => p.targetChunksReread ?? 0) : undefined,
    resumedFromRows: parts.some((p) => p.resumedFromRows !== undefined) ? sum((p) => p.resumedFromRows ?? 0) : undefined,
    checksumOk: parts.every((p) => p.checksumOk), mismatches: parts.flatMap((p) => p.mismatches),
  };
}

export function describeFailures(v: ValidationResult): string {
  const failed = v.findings.filter((f) => !f.ok);
  return `${failed.slice(0, 5).map((f) => f.message).join('; ')}${failed.length > 5 ? ` (+${failed.length - 5} more)` : ''}`;
}
