/** Phase `post-data`: keys, indexes, foreign keys, triggers and sequences, after the rows are in. */
import type { TenantRun } from '../tenantRun';
import { ddl } from '../activityStubs';
import { summary } from '../uiMetadata';

export async function postData(run: TenantRun): Promise<void> {
  await run.untilResumed();
  run.enter('post-data');
  await ddl.applyPostData.executeWithOptions(summary(`post-data in ${run.targetName}: indexes, constraints, sequences`), [run.ref, run.opts.postDataParallelism]);
}
