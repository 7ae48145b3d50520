/** Phase `prepare`: creates or reopens the target database; says whether a previous run already completed it. */
import type { TenantRun } from '../tenantRun';
import { light } from '../activityStubs';

export async function prepare(run: TenantRun): Promise<'new' | 'resume' | 'complete'> {
  run.enter('prepare');
  return light.prepareTarget(run.ref);
}
