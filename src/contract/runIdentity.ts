/**
 * Run identity: the workflow id of a tenant's run within a wave, and the run key its reports
 * live under. Pure and deterministic (workflows, activities and the CLI all use it).
 */

/** Tenant run within a wave: `tenant-<tenantId>@<waveId>` (tenant and wave ids never contain `@`). */
export function tenantRunWorkflowId(tenantId: string, waveId: string): string {
  return `tenant-${tenantId}@${waveId}`;
}

/** The wave of a tenant run's workflow id, or undefined for other ids (e.g. `tenant-<id>` of old runs). */
export function waveOfTenantWorkflow(workflowId: string): string | undefined {
  const m = /^tenant-[A-Za-z0-9_.-]+@([A-Za-z0-9_.-]+)$/.exec(workflowId);
  return m?.[1];
}

/** `2026-11-21T02:00:00.123Z` -> `20261121T020000Z` (sortable, safe in paths and ids). */
export function compactTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** Run key of a wave run: `<waveId>.<start time>`; reports of the run and its tenants live under runs/<runKey>/. */
export function waveRunKey(waveId: string, startedAt: Date): string {
  return `${waveId}.${compactTime(startedAt)}`;
}

/**
 * The wave id a scheduled run uses: Temporal starts scheduled runs as `<workflowId>-<RFC 3339 time>`,
 * so `wave-nightly-2026-11-21T02:00:00Z` runs wave `nightly-20261121T020000Z` (each night its own
 * id and reports). Any other workflow id keeps the manifest's wave id.
 */
export function scheduledWaveId(waveId: string, workflowId: string): string {
  const prefix = `wave-${waveId}-`;
  if (!workflowId.startsWith(prefix)) return waveId;
  const at = new Date(workflowId.slice(prefix.length));
  return Number.isNaN(at.getTime()) ? waveId : `${waveId}-${compactTime(at)}`;
}
