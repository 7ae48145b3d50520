import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import { validationStateQuery } from '../contract/signals';
import type * as activities from '../activities';
import type { TenantMigrationResult, ValidateMigrationInput, ValidateMigrationResult, ValidationResult } from '../contract/migration';
import { HEAVY_TASK_QUEUE, TASK_QUEUE } from '../contract/names';

export type { ValidateMigrationInput, ValidateMigrationResult } from '../contract/migration';
import { runValidation } from './phases/validate';
import { isoNow } from './clock';
import { FailureType } from '../contract/failures';

const light = proxyActivities<typeof activities>({ taskQueue: TASK_QUEUE, startToCloseTimeout: '10m', retry: { maximumAttempts: 5 } });
/** Comparing a whole pair without bookkeeping reads both databases: long timeout, heartbeats per range. */
const compare = proxyActivities<typeof activities>({ taskQueue: HEAVY_TASK_QUEUE, startToCloseTimeout: '12h', heartbeatTimeout: '2m', retry: { maximumAttempts: 5 } });

/**
 * Standalone validation of a migrated pair (for example after someone touched a target): the
 * same checks as a migration's validate phase, plus reports. Never changes either database.
 * Returns the verdict (it does not fail on a mismatch: the caller decides).
 */
export async function validateMigration(input: ValidateMigrationInput): Promise<ValidateMigrationResult> {
  const tenantId = input.tenantId ?? input.target.database;
  const ref = { tenantId, source: input.source, target: input.target, ...(input.reportKeys ? { options: { reportKeys: true } } : {}) };
  let phase = 'describe';
  setHandler(validationStateQuery, () => ({ phase }));
  const startedAt = isoNow();
  const mode = input.mode ?? 'full';
  let validation: ValidationResult;
  // A pair tmig did not copy (no bookkeeping in the target): key ranges planned from the source,
  // both sides compared range by range. (patched: histories from before this branch replay unchanged.)
  if (patched('validate-unmanaged-pairs') && !(await light.targetHasBookkeeping(ref))) {
    phase = 'validate';
    validation = await compare.validateUnmanagedPair(ref, { mode, sampleRate: input.sampleRate ?? 0.1 });
  } else {
    const tables = await light.listMigratedTables(ref);
    phase = 'validate';
    validation = await runValidation(ref, { tables: tables.map((table) => ({ table })), mode, sampleRate: input.sampleRate ?? 0.1, recheckSource: input.recheckSource, recheck: input.recheck, concurrency: input.concurrency ?? 4 });
  }
  phase = 'report';
  const asResult: TenantMigrationResult = {
    tenantId, ok: validation.ok, tables: validation.tables, validation, rowsCopied: 0, bytesCopied: 0, throughput: [],
    phases: [{ phase: 'validate', startedAt, endedAt: isoNow() }],
    error: validation.ok ? undefined : { type: FailureType.ValidationMismatch, message: validation.findings.filter((f) => !f.ok).map((f) => f.message).join('; ') },
  };
  const report = await light.reportTenant(ref, asResult);
  // A target that fails a later validation is marked so (run row and comment): it no longer says "complete and validated".
  const markedFailed = !validation.ok && patched('mark-later-validation-failure')
    ? await light.markValidationFailed(ref, asResult.error!.message.slice(0, 1000)) : undefined;
  phase = 'done';
  return { tenantId, validation, reportPath: report.htmlPath, ...(markedFailed !== undefined ? { markedFailed } : {}) };
}
