/** Phase `prepare`: creates or reopens the target database; says whether a previous run already completed it. */
import type { TenantRun } from '../tenantRun';
import { quick } from '../activityStubs';
import { summary } from '../uiMetadata';

export async function prepare(run: TenantRun): Promise<'new' | 'resume' | 'complete'> {
  run.enter('prepare');
  return quick().prepareTarget.executeWithOptions(summary(`prepare target ${run.targetName}`), [run.ref]);
}
