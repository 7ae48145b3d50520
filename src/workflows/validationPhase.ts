import { proxyActivities } from '@temporalio/workflow';
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/common';
import type * as activities from '../activities';
import type { TableValidation } from '../activities/validate';
import type { TenantRef } from '../activities/tenantRef';
import type { TableResult, ValidationFinding, ValidationResult } from './types';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 12 };
const light = proxyActivities<typeof activities>({ taskQueue: 'migrations', startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry });
// Waits for a cancelled validation to stop, so a released permit really means the pool is free.
const heavy = proxyActivities<typeof activities>({
  taskQueue: 'migrations-heavy', startToCloseTimeout: '2h', heartbeatTimeout: '1m', retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

/** Tables under this many rows are validated in batches. */
const SMALL_TABLE_ROWS = 100_000;

export interface ValidationPlan {
  tables: { table: string; estimatedRows?: number }[];
  mode: 'full' | 'sample';
  sampleRate: number;
  concurrency: number;
  /** Copy time per table, for the result (validation alone has none). */
  copyMs?: Map<string, number>;
}

/**
 * The validation phase, shared by tenantMigration and validateMigration: per-table counts and
 * chunk checksums re-read from both sides, then the target's structural integrity.
 */
export async function runValidation(ref: TenantRef, plan: ValidationPlan): Promise<ValidationResult> {
  const results: TableValidation[] = [];
  // Large tables get an activity each; small ones (or unknown sizes) go in batches.
  const large = plan.tables.filter((t) => (t.estimatedRows ?? 0) >= SMALL_TABLE_ROWS).map((t) => [t.table]);
  const small = plan.tables.filter((t) => (t.estimatedRows ?? 0) < SMALL_TABLE_ROWS).map((t) => t.table);
  const batches = [...large];
  const perBatch = Math.max(1, Math.ceil(small.length / plan.concurrency));
  for (let i = 0; i < small.length; i += perBatch) batches.push(small.slice(i, i + perBatch));
  await Promise.all(Array.from({ length: plan.concurrency }, async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      results.push(...await heavy.validateTables(ref, { tables: batch, mode: plan.mode, sampleRate: plan.sampleRate }));
    }
  }));
  results.sort((a, b) => a.table.localeCompare(b.table));
  const tables: TableResult[] = results.map(({ mismatches: _m, ...t }) => ({ ...t, copyMs: plan.copyMs?.get(t.table) ?? 0 }));
  const integrity = await light.checkTenantIntegrity(ref);
  const failed: ValidationFinding[] = [
    ...results.flatMap((r) => r.mismatches.map((m) => ({ check: 'chunks', table: r.table, ok: false, message: `${r.table}: ${m}` }))),
    ...integrity.filter((f) => !f.ok),
  ];
  return { mode: plan.mode, ok: failed.length === 0, tables, findings: [...failed, ...integrity.filter((f) => f.ok)] };
}

export function describeFailures(v: ValidationResult): string {
  const failed = v.findings.filter((f) => !f.ok);
  return `${failed.slice(0, 5).map((f) => f.message).join('; ')}${failed.length > 5 ? ` (+${failed.length - 5} more)` : ''}`;
}
