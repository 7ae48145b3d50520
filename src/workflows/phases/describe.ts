/** Phase `describe` (runs under the previous phase's name): the source's schema model, stored in the target once. */
import type { DescribeResult } from '../../activities/prepareTarget';
import type { TenantRun } from '../tenantRun';
import { light } from '../activityStubs';

export async function describe(run: TenantRun): Promise<DescribeResult> {
  const described = await light.describeSource(run.ref);
  run.progress.tablesTotal = described.tables.length;
  return described;
}
