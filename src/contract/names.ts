/**
 * Names shared by workflows, activities, workers and the CLI: task queues, workflow types and ids.
 * Changing one breaks running workflows and operators' scripts: they are part of the public contract.
 */

/** Light work: workflows, DDL, planning, reports. */
export const TASK_QUEUE = 'migrations';
/** Heavy work: copy, validation re-reads, backup download/extract/restore (scaled out separately). */
export const HEAVY_TASK_QUEUE = 'migrations-heavy';

export const WorkflowType = {
  tenantMigration: 'tenantMigration',
  migrationWave: 'migrationWave',
  validateMigration: 'validateMigration',
  concurrencyGovernor: 'concurrencyGovernor',
  intakeScan: 'intakeScan',
} as const;

/**
 * Workflow id of a tenant's migration in waves started before per-run ids (one id per tenant).
 * Waves now run each tenant as `tenant-<tenantId>@<waveId>` (contract/runIdentity.ts).
 */
export function tenantWorkflowId(tenantId: string): string {
  return `tenant-${tenantId}`;
}

/** Workflow id of a wave started by the CLI or a schedule (a schedule suffixes it with the fire time). */
export function waveWorkflowId(waveId: string): string {
  return `wave-${waveId}`;
}
