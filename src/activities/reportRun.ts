import { classified, config } from './activityContext';
import { loadModel } from './storedModel';
import { tenantLabel, type TenantRef } from '../contract/tenantRef';
import type { SchemaModel } from '../engines/schemaModel';
import type { MigrationWaveResult, TenantMigrationResult } from '../contract/migration';
import type { AuditResult } from '../contract/auditResult';
import { publishTenantReport, publishWaveReport, type PublishedReport } from '../reports/publish';
import { withHeartbeat } from './auditTenantSource';
import { openTarget } from '../config/openEngines';

/**
 * Activity: writes the tenant's JSON + HTML report (and uploads it when reports.s3 is set).
 * Called on success and on failure; the conversion notes come from the stored model when the
 * tenant got that far.
 */
export async function reportTenant(t: TenantRef & { waveId?: string; runKey?: string }, result: TenantMigrationResult, audit?: AuditResult): Promise<PublishedReport> {
  return classified(`${tenantLabel(t)}: write report`, async () => withHeartbeat({ phase: 'report' }, async () => {
    let model: Pick<SchemaModel, 'sourceKind' | 'notes' | 'notMigrated'> | undefined;
    try {
      const m = await loadModel(t);
      model = { sourceKind: m.sourceKind, notes: m.notes, notMigrated: m.notMigrated };
    } catch {
      model = undefined; // Failed before describe (or the target is gone): the report has no conversion notes.
    }
    let replacedDatabase: string | undefined;
    try {
      replacedDatabase = await openTarget(config(), t.target).replacedDatabase();
    } catch {
      replacedDatabase = undefined; // No target or no bookkeeping (failed early): nothing was replaced.
    }
    return publishTenantReport(config(), result, audit, model, { waveId: t.waveId, source: t.source, target: t.target, replacedDatabase, runKey: t.runKey });
  }));
}

/**
 * Activity: writes the wave dashboard (and uploads it when reports.s3 is set). `tenantIds` lists every
 * tenant of the wave: the result carries only samples, the other rows come from this run's tenant reports.
 */
export async function reportWave(result: MigrationWaveResult, tenantIds?: string[]): Promise<PublishedReport> {
  return classified(`wave ${result.waveId}: write report`, () =>
    withHeartbeat({ phase: 'report' }, () => publishWaveReport(config(), result, tenantIds)));
}
