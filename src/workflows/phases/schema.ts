/** Phase `schema`: pre-data DDL (types, tables, defaults) in one transaction. */
import type { TenantRun } from '../tenantRun';
import { ddl } from '../activityStubs';
import { summary } from '../uiMetadata';

export async function schema(run: TenantRun): Promise<void> {
  await run.untilResumed();
  run.enter('schema');
  await ddl.createSchema.executeWithOptions(summary(`create schema (pre-data) in ${run.targetName}`), [run.ref]);
}
