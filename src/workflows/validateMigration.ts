import { proxyActivities, setHandler, defineQuery } from '@temporalio/workflow';
import type * as activities from '../activities';
import type { DatabaseRef, TenantMigrationResult, ValidationResult } from '../contract/migration';
import { runValidation } from './phases/validate';
import { isoNow } from './clock';

export interface ValidateMigrationInput {
  /** Label for the report; defaults to the target database name. */
  tenantId?: string;
  source: DatabaseRef;
  target: DatabaseRef;
  mode?: 'full' | 'sample';
  sampleRate?: number;
  /** Re-read every chunk from the source too (default: a sample, plus every chunk from the target). */
  recheckSource?: boolean;
  concurrency?: number;
}

export interface ValidateMigrationResult {
  tenantId: string;
  validation: ValidationResult;
  reportPath?: string;
}

const light = proxyActivities<typeof activities>({ taskQueue: 'migrations', startToCloseTimeout: '10m', retry: { maximumAttempts: 5 } });
export const validationStateQuery = defineQuery<{ phase: string }>('progress');

/**
 * Standalone validation of a migrated pair (for example after someone touched a target): the
 * same checks as a migration's validate phase, plus reports. Never changes either database.
 * Returns the verdict (it does not fail on a mismatch: the caller decides).
 */
export async function validateMigration(input: ValidateMigrationInput): Promise<ValidateMigrationResult> {
  const tenantId = input.tenantId ?? input.target.database;
  const ref = { tenantId, source: input.source, target: input.target };
  let phase = 'describe';
  setHandler(validationStateQuery, () => ({ phase }));
  const startedAt = isoNow();
  const tables = await light.listMigratedTables(ref);
  phase = 'validate';
  const mode = input.mode ?? 'full';
  const validation = await runValidation(ref, { tables: tables.map((table) => ({ table })), mode, sampleRate: input.sampleRate ?? 0.1, recheckSource: input.recheckSource, concurrency: input.concurrency ?? 4 });
  phase = 'report';
  const asResult: TenantMigrationResult = {
    tenantId, ok: validation.ok, tables: validation.tables, validation, rowsCopied: 0, bytesCopied: 0, throughput: [],
    phases: [{ phase: 'validate', startedAt, endedAt: isoNow() }],
    error: validation.ok ? undefined : { type: 'ValidationMismatch', message: validation.findings.filter((f) => !f.ok).map((f) => f.message).join('; ') },
  };
  const report = await light.reportTenant(ref, asResult);
  phase = 'done';
  return { tenantId, validation, reportPath: report.htmlPath };
}
