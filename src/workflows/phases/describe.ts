/** Phase `describe` (runs under the previous phase's name): the source's schema model, stored in the target once. */
import type { DescribeResult } from '../../activities/prepareTarget';
import type { TenantRun } from '../tenantRun';
import { quick } from '../activityStubs';
import { summary } from '../uiMetadata';

export async function describe(run: TenantRun): Promise<DescribeResult> {
  const described = await quick().describeSource.executeWithOptions(summary(`describe source ${run.sourceName}`), [run.ref]);
  run.progress.tablesTotal = described.tables.length;
  run.showDetails();
  return described;
}
