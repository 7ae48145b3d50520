import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowType } from '../contract/names';
import type { TenantMigrationInput } from '../contract/migration';
import { TenantIdKey } from '../contract/searchAttributes';

/** Why a retry was refused; `kind` maps to the CLI's exit code. */
export class RetryRefused extends Error {
  constructor(message: string, readonly kind: 'not-found' | 'usage' | 'state') {
    super(message);
  }
}

export interface RetryOutcome {
  workflowId: string;
  /** The run that failed: it keeps its history (Temporal holds every run of an id until retention). */
  failedRunId: string;
  failedStatus: string;
  runId: string;
  tenantId: string;
}

/** Statuses a new run may follow: the run ended without success. */
const RETRYABLE = ['FAILED', 'TERMINATED', 'CANCELLED', 'TIMED_OUT'];

/**
 * Starts a new run of a failed intake migration under the same workflow id, with the same input. Intake
 * starts use REJECT_DUPLICATE, so scans and events never restart an upload; this start asks for
 * ALLOW_DUPLICATE_FAILED_ONLY instead, which Temporal grants only when the id's last run did not
 * succeed. The failed run stays in history under its own run id; the new run pins volumes anew.
 */
export async function retryIntakeMigration(client: Client, workflowId: string): Promise<RetryOutcome> {
  let d;
  try {
    d = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new RetryRefused(`no workflow ${workflowId}`, 'not-found');
    throw err;
  }
  const intake = d.memo?.intake;
  if (d.type !== WorkflowType.tenantMigration || !intake) {
    throw new RetryRefused(`${workflowId} is ${d.type === WorkflowType.tenantMigration ? 'a tenantMigration not started by intake' : `a ${d.type}`}: `
      + 'tmig retry takes a migration started from an S3 upload (tmig intake); a wave\'s failed tenants are retried with tmig retry-failed <wave>', 'usage');
  }
  if (!RETRYABLE.includes(d.status.name)) {
    throw new RetryRefused(`${workflowId} is ${d.status.name} (run ${d.runId}): only a failed, cancelled, terminated or timed-out run is retried`, 'state');
  }
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace, execution: { workflowId, runId: d.runId }, maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new RetryRefused(`${workflowId}: its first history event carries no input`, 'state');
  const input = defaultPayloadConverter.fromPayload<TenantMigrationInput>(payload);
  try {
    const handle = await client.workflow.start(WorkflowType.tenantMigration, {
      workflowId, taskQueue: d.taskQueue, args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [{ key: TenantIdKey, value: input.tenantId }],
      memo: { intake, retryOf: d.runId },
    });
    return { workflowId, failedRunId: d.runId, failedStatus: d.status.name, runId: handle.firstExecutionRunId, tenantId: input.tenantId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new RetryRefused(`${workflowId}: a new run was started just now by someone else (or the last run succeeded)`, 'state');
    }
    throw err;
  }
}
