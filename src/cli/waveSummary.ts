/**
 * Text summary of a finished wave's result (what `start --wait` prints): counts, including
 * "already complete" as its own outcome, and the failed tenants the result carries.
 */
import type { MigrationWaveResult } from '../contract/migration';

export function waveResultLines(waveId: string, result: MigrationWaveResult): { lines: string[]; failed: boolean } {
  const c = result.counts;
  const failedCount = c?.failed ?? result.failed.length;
  const lines = [c
    ? `wave ${waveId}: ${c.succeeded} migrated, ${c.alreadyComplete} already complete, ${c.failed} failed${c.cancelled ? `, ${c.cancelled} cancelled` : ''}${c.skipped ? `, ${c.skipped} skipped` : ''} of ${c.total}`
    : `wave ${waveId}: ${result.succeeded.length} succeeded, ${result.failed.length} failed`];
  for (const f of result.failed) lines.push(`  FAILED ${f.tenantId}: ${f.error ?? ''}`);
  if (failedCount > result.failed.length) lines.push(`  ... and ${failedCount - result.failed.length} more (tmig report ${waveId})`);
  return { lines, failed: failedCount > 0 };
}
