/**
 * Phase `cleanup` and the end of a run. On success: mark the target complete, drop the restored
 * source and the work directory. On failure or cancel: mark the target failed (nothing half-done
 * may look done), keep the work directory for diagnosis, write the failure report, fail typed.
 */
import { ApplicationFailure, CancellationScope, isCancellation, log, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../contract/failures';
import { innermostMessage } from '../../contract/innermostMessage';
import { CANCELLED_BY_OPERATOR } from '../../contract/failureCause';
import type { ValidationResult } from '../../contract/migration';
import type { TenantRun } from '../tenantRun';
import { light, quick } from '../activityStubs';
import { summary } from '../uiMetadata';

/** `incompleteReason`: the run succeeded but the target must not look complete (an online tenant rolled back). */
export async function finalize(run: TenantRun, incompleteReason?: string): Promise<void> {
  const { input, ref } = run;
  run.enter('cleanup');
  if (incompleteReason) await light.markTargetFailed(ref, incompleteReason);
  else await quick().markTargetComplete.executeWithOptions(summary(`mark ${run.targetName} complete`), [ref]);
  if (input.backup && !input.options?.keepArtifacts) {
    await light.dropRestoredSource(ref);
    await light.cleanupWorkDir({ tenantId: input.tenantId, ok: true, sourceServer: input.source.server });
  }
  run.enter('done');
  run.resultMemo();
}

/**
 * Marks the target failed (even when the workflow is being cancelled: nothing half-done may look
 * done) and cleans the work directory. The runner calls it while the tenant still holds its target
 * permit, so it can never hit the next run of the same tenant, which waits for that permit.
 */
export async function markFailed(run: TenantRun, err: unknown, ownsTarget: boolean): Promise<void> {
  const { input, ref } = run;
  const cancelled = isCancellation(err);
  const message = cancelled ? CANCELLED_BY_OPERATOR : innermostMessage(err);
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
}

/** Handles a run's failure; returns the error to throw (the cancellation itself, or a typed non-retryable failure). */
export async function finalizeFailure(run: TenantRun, err: unknown, ownsTarget: boolean, alreadyMarked = false): Promise<unknown> {
  const { input, ref, progress } = run;
  const cancelled = isCancellation(err);
  const message = cancelled ? CANCELLED_BY_OPERATOR : innermostMessage(err);
  progress.lastError = message;
  progress.errors.push(message);
  if (!alreadyMarked) await markFailed(run, err, ownsTarget);
  run.enter(cancelled ? 'cancelled' : 'failed');
  const failed = run.result(false, { error: { type: cancelled ? FailureType.Cancelled : failureType(err), message }, validation: validationOf(err) });
  await CancellationScope.nonCancellable(async () => {
    try {
      failed.reportPath = run.reportPath = (await light.reportTenant.executeWithOptions(summary('write failure report'), [{ ...ref, waveId: input.waveId, runKey: input.runKey }, failed, run.audit])).htmlPath;
    } catch (reportErr) {
      log.warn('could not write the failure report', { error: innermostMessage(reportErr) });
    }
  });
  run.showDetails();
  run.resultMemo();
  if (cancelled) return err;
  return ApplicationFailure.create({
    type: failureType(err), nonRetryable: true, message: `tenant ${input.tenantId} (${workflowInfo().workflowId}): ${message}`,
    details: [failed],
  });
}

/** The validation result a ValidationMismatch failure carries, for the failure report. */
function validationOf(err: unknown): ValidationResult | undefined {
  const details = (err as { details?: unknown[] })?.details;
  const v = details?.[0] as ValidationResult | undefined;
  return v && typeof v === 'object' && 'findings' in v ? v : undefined;
}

/** The innermost failure type in the cause chain (MigrationFailed when none has one). */
function failureType(err: unknown): string {
  let e = err as { type?: string; cause?: unknown } | undefined;
  let type: string | undefined;
  while (e) {
    if (e.type) type = e.type;
    e = e.cause as typeof e;
  }
  return type ?? FailureType.MigrationFailed;
}
