/** Phase `audit` (when `options.audit`): read-only checks of the source; blocking findings fail the tenant (AuditBlocked). */
import { ApplicationFailure } from '@temporalio/workflow';
import { describeBlocking } from '../../contract/auditResult';
import { FailureType } from '../../contract/failures';
import type { TenantRun } from '../tenantRun';
import { light } from '../activityStubs';
import { summary } from '../uiMetadata';

export async function audit(run: TenantRun): Promise<void> {
  if (!run.opts.audit) return;
  await run.untilResumed();
  run.enter('audit');
  const result = await light.auditTenantSource.executeWithOptions(summary(`audit source ${run.sourceName}`), [run.ref]);
  run.audit = result;
  if (result.blocked) {
    throw ApplicationFailure.create({ type: FailureType.AuditBlocked, nonRetryable: true,
      message: `tenant ${run.input.tenantId}: audit found blocking problems: ${describeBlocking(result)}` });
  }
}
