/**
 * A tenant's phase change, reported to its wave by the worker's client. Run as a local activity:
 * a signal sent by the workflow itself costs the tenant two history events and a workflow task
 * of its own (the server tells the sender when the signal landed), on every phase.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { toActivityFailure } from '../contract/failures';
import type { TenantProgress } from '../contract/migration';
import { tenantProgressSignal } from '../contract/signals';
import { governorClient } from './governorPermits';

export async function reportTenantProgress(input: { waveWorkflowId: string; progress: TenantProgress }): Promise<void> {
  try {
    const c = await governorClient();
    await c.workflow.getHandle(input.waveWorkflowId).signal(tenantProgressSignal, input.progress);
  } catch (err) {
    // The wave is gone (terminated, or reset): nobody to tell.
    if (err instanceof WorkflowNotFoundError) return;
    throw toActivityFailure(err);
  }
}
