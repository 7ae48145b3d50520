/** Phase `report`: the tenant's JSON and HTML report, for a finished run (the failure report is written by `finalize`). */
import type { TableResult, TenantMigrationResult, ValidationResult } from '../../contract/migration';
import type { TenantRun } from '../tenantRun';
import { quick } from '../activityStubs';
import { summary } from '../uiMetadata';

export async function report(run: TenantRun, outcome: { tables: TableResult[]; validation?: ValidationResult }): Promise<TenantMigrationResult> {
  run.enter('report');
  const final = run.result(true, outcome);
  final.reportPath = run.reportPath = (await quick().reportTenant.executeWithOptions(summary('write report'), [{ ...run.ref, waveId: run.input.waveId, runKey: run.input.runKey }, final, run.audit])).htmlPath;
  return final;
}
