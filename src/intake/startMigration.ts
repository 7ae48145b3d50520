import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { TASK_QUEUE, WorkflowType } from '../contract/names';
import type { TenantMigrationInput } from '../contract/migration';
import { TenantIdKey } from '../contract/searchAttributes';
import { intakeWorkflowId } from './backupKeys';
import type { BackupObject, IntakePlan, StartOutcome } from '../contract/backupIntake';

const fill = (template: string, tenant: string) => template.split('{tenant}').join(tenant);

/** The tenantMigration input for one uploaded backup. */
export function migrationInputFor(obj: BackupObject, plan: IntakePlan): TenantMigrationInput {
  return {
    tenantId: obj.tenant,
    waveId: plan.waveId,
    source: { server: plan.source.server, database: fill(plan.restoreDatabaseTemplate ?? 'restore_{tenant}', obj.tenant) },
    target: { server: plan.target.server, database: fill(plan.target.databaseTemplate, obj.tenant) },
    backup: { bucket: obj.bucket, key: obj.key, etag: obj.etag },
    options: plan.options,
  };
}

/**
 * Starts the migration of one upload, at most once: the id is derived from tenant, key and ETag, and the id
 * policies refuse a second start both while it runs (conflict: FAIL) and after it closed, whatever the outcome
 * (reuse: REJECT_DUPLICATE). A failed one is retried by the operator (`tmig retry <workflowId>`, src/intake/retryMigration.ts), not by a new scan.
 */
export async function startTenantMigration(client: Client, obj: BackupObject, plan: IntakePlan, taskQueue = TASK_QUEUE): Promise<StartOutcome> {
  const workflowId = intakeWorkflowId(obj.tenant, obj.key, obj.etag);
  try {
    await client.workflow.start(WorkflowType.tenantMigration, {
      workflowId,
      taskQueue,
      args: [migrationInputFor(obj, plan)],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [{ key: TenantIdKey, value: obj.tenant }],
      memo: { intake: { bucket: obj.bucket, key: obj.key, etag: obj.etag, size: obj.size } },
    });
    return { workflowId, tenant: obj.tenant, key: obj.key, status: 'started' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, tenant: obj.tenant, key: obj.key, status: 'already-started' };
    throw err;
  }
}
